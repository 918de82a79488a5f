"""The whole purchase over real HTTP: API cart → checkout → the emulator's pay page → signed webhook
delivered by the emulator to the live server → order paid, stock taken once, one email, one announcement."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
import requests
from django.core import mail

from payments.models import StripeEvent
from shop.models import Order, OrderEvent, Product
from shop.signals import order_paid
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


class FormFields(HTMLParser):
    """The prefilled inputs of the pay page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        if tag == "select" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], "US")


def test_full_purchase_over_http(live_server, stripe_webhooks_to_live_server):
    emu = stripe_webhooks_to_live_server
    product = ProductFactory(slug="foosfoot", name="FoosFoot", price=Decimal("59.00"), stock=10)
    announced = []

    def on_paid(sender, order, **kwargs):
        announced.append(order.number)

    order_paid.connect(on_paid, dispatch_uid="purchase-test")
    try:
        api = f"{live_server.url}/api"
        http = requests.Session()
        token = http.post(f"{api}/carts/", timeout=10).json()["token"]
        response = http.post(f"{api}/carts/{token}/lines/", json={"product": "foosfoot", "quantity": 2}, timeout=10)
        assert response.status_code == 201
        response = http.post(f"{api}/carts/{token}/checkout/", json={"email": "dana@example.com"}, timeout=10)
        assert response.status_code == 201, response.text
        body = response.json()

        page = http.get(body["checkout_url"], timeout=10)
        assert page.status_code == 200
        assert "118.00" in page.text
        parser = FormFields()
        parser.feed(page.text)
        paid = http.post(
            body["checkout_url"], data={**parser.fields, "action": "pay"}, allow_redirects=False, timeout=10
        )
        assert paid.status_code in (302, 303)
        assert body["checkout_session_id"] in paid.headers["Location"]

        deliveries = emu.wait_for_deliveries(timeout=15)
        assert [(kind, status) for _, kind, status in deliveries] == [("checkout.session.completed", 200)]

        order = Order.objects.get(number=body["order"]["number"])
        assert order.status == Order.Status.PAID
        assert order.payment_intent_id
        assert order.shipping_address.get("line1")
        assert Product.objects.get(pk=product.pk).stock == 8
        assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1
        assert StripeEvent.objects.count() == 1
        assert announced == [order.number]
        assert len(mail.outbox) == 1
        assert f"/orders/{order.token}/" in mail.outbox[0].body
        status = http.get(f"{api}/orders/{order.token}/", timeout=10).json()
        assert status["status"] == "paid"

        # Stripe delivering the same event again changes nothing.
        event = emu.events[-1]
        assert emu.send_event(event) == 200
        assert len(mail.outbox) == 1
        assert announced == [order.number]
    finally:
        order_paid.disconnect(dispatch_uid="purchase-test")
