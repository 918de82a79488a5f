"""Issue 12: returns received by staff from the order's own page: units restocked (not the damaged ones),
refunded for what was paid for them (their price less their share of the discount, plus their share of the
tax; the shipping only when the shop was at fault), one return email, every step an order event, and no unit
returned twice. Dashboard refunds still only record money."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail

from payments.events import process_stripe_event
from shop.models import Order, OrderEmail, OrderReturn, Product, PromotionCode, Refund
from shop.promotions import sync_promotion_code
from shop.refunds import refund_order
from tests.factories import ProductFactory, PromotionCodeFactory, ShippingRateFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
TORONTO = {"country": "CA", "state": "ON", "city": "Toronto", "postal_code": "M5V 2T6", "line1": "1 King St W"}


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def clerk():
    return staff("clerk", "view_order", "change_order", "refund_order", "receive_return")


@pytest.fixture
def pay(stripe_api, django_capture_on_commit_callbacks):
    def paid(product, quantity=2, code="", country=None, **choices) -> Order:
        result = checkout(product, quantity=quantity, country=country)
        if code:
            choices["promotion_code"] = code
        session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False, **choices)
        with django_capture_on_commit_callbacks(execute=True):
            process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
        mail.outbox.clear()
        return Order.objects.get(pk=result.order.pk)

    return paid


def receive(client, order, returned: dict, damaged: dict | None = None, **fields):
    data = {f"returned_{pk}": count for pk, count in returned.items()}
    data |= {f"damaged_{pk}": count for pk, count in (damaged or {}).items()}
    return client.post(f"/admin/shop/order/{order.pk}/return/", {**data, **fields})


def synced_code(**fields) -> PromotionCode:
    promo = PromotionCodeFactory(**fields)
    assert sync_promotion_code(promotion_id=promo.pk)
    return promo


def test_a_partial_refund_then_a_return_of_the_rest(client, clerk, pay, stripe_api, django_capture_on_commit_callbacks):
    ShippingRateFactory(countries="US", amount=Decimal("6.95"))
    product = ProductFactory(price=Decimal("45.00"), stock=10)
    order = pay(product)  # 90.00 + 6.95 shipping
    assert (order.total, order.stock_released_at) == (Decimal("96.95"), None)
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order=order, amount=Decimal("45.00"), user=clerk, reason="requested_by_customer")
    [line] = order.lines.all()
    client.force_login(clerk)

    page = client.get(f"/admin/shop/order/{order.pk}/return/").content.decode()
    assert "45.00 USD was paid for each" in page and "Refunded so far" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = receive(client, order, {line.pk: 2}, {line.pk: 1})
    assert response.status_code == 302

    order.refresh_from_db()
    received = OrderReturn.objects.get()
    # The products were paid 90.00; 45.00 came back already; the shop keeps the 6.95 shipping (not at fault).
    assert (received.refund_amount, received.shipping_refund, order.amount_refunded) == (Decimal("45.00"), 0, Decimal("90.00"))  # fmt: skip
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 8 + 1  # one damaged unit stays out
    assert order.lines.get().returned_quantity == 2
    refund = stripe_api.refunds[received.refund.stripe_refund_id]
    assert (refund["amount"], refund["metadata"]["order_number"]) == (4500, order.number)
    kinds = list(order.events.values_list("kind", flat=True))
    assert {"return_received", "restocked", "refund"} <= set(kinds)
    assert "2 × " in order.events.get(kind="return_received").message
    assert [m.subject for m in mail.outbox][-1].endswith("we received your return")
    assert sum("refunded" in m.subject for m in mail.outbox) == 1  # the staff refund's own email; the return's is one
    assert (
        "We have refunded 45.00 USD" in mail.outbox[-1].body
        and "1 of the units arrived damaged" in mail.outbox[-1].body
    )
    assert OrderEmail.objects.get(kind="return").order_return == received

    again = receive(client, order, {line.pk: 1})  # nothing is left to come back
    assert again.status_code == 302 and OrderReturn.objects.count() == 1


def test_a_return_of_an_order_paid_with_a_code_refunds_what_was_paid(
    client, clerk, pay, stripe_api, settings, django_capture_on_commit_callbacks
):
    settings.SHOP_SHIPPING_COUNTRIES, settings.STRIPE_AUTOMATIC_TAX = ["CA"], True
    ShippingRateFactory(name="Express", countries="CA", amount=Decimal("34.95"))
    synced_code(code="SAVE10", percent_off=Decimal("10"))
    product = ProductFactory(price=Decimal("59.00"), stock=10)
    order = pay(product, code="SAVE10", address=TORONTO)  # 118.00 - 11.80 + 34.95 + 13.81 + 4.54 tax = 159.50
    assert order.total == Decimal("159.50")
    [line] = order.lines.all()
    client.force_login(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        receive(client, order, {line.pk: 1})
    first = OrderReturn.objects.get()
    assert first.refund_amount == Decimal("60.01")  # 59.00 - 5.90 + 6.905 tax (half-up), not the list price

    with django_capture_on_commit_callbacks(execute=True):
        receive(client, order, {line.pk: 1}, shop_at_fault="on")
    second = OrderReturn.objects.latest("pk")
    assert (second.refund_amount, second.shipping_refund) == (Decimal("99.49"), Decimal("39.49"))
    order.refresh_from_db()
    assert order.amount_refunded == order.total and order.status == Order.Status.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 10
    assert "the shipping included" in mail.outbox[-1].body


def test_an_order_paid_nothing_restocks_and_refunds_nothing(
    client, clerk, pay, stripe_api, django_capture_on_commit_callbacks
):
    synced_code(code="FREE100", percent_off=Decimal("100"))
    product = ProductFactory(price=Decimal("59.00"), stock=10)
    order = pay(product, code="FREE100")
    assert (order.total, order.payment_intent_id) == (Decimal("0.00"), "")
    [line] = order.lines.all()
    client.force_login(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        receive(client, order, {line.pk: 2}, shop_at_fault="on")

    received = OrderReturn.objects.get()
    assert (received.refund_amount, received.refund) == (Decimal("0.00"), None)
    assert stripe_api.refunds == {} and not Refund.objects.exists()
    assert Product.objects.get(pk=product.pk).stock == 10
    assert "nothing to refund" in mail.outbox[-1].body
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


def test_the_return_page_needs_its_own_permission(client, pay, stripe_api):
    order = pay(ProductFactory(stock=5), quantity=1)
    [line] = order.lines.all()
    refunder = staff("refunder", "view_order", "change_order", "refund_order")
    client.force_login(refunder)
    change = client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    assert 'id="refund-order"' in change and 'id="receive-return"' not in change
    assert client.get(f"/admin/shop/order/{order.pk}/return/").status_code == 403
    assert receive(client, order, {line.pk: 1}).status_code == 403

    client.force_login(staff("unpacker", "view_order", "receive_return"))
    assert 'id="receive-return"' in client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    too_many = receive(client, order, {line.pk: 2})
    assert too_many.status_code == 200 and "less than or equal to 1" in too_many.content.decode()
    nothing = receive(client, order, {line.pk: 0})
    assert "at least one unit" in nothing.content.decode()
    assert not OrderReturn.objects.exists()


def test_stripe_refusing_the_refund_keeps_nothing_of_the_return(client, clerk, pay, stripe_api):
    product = ProductFactory(price=Decimal("59.00"), stock=5)
    order = pay(product, quantity=1)
    [line] = order.lines.all()
    stripe_api.fail_next("POST", "/v1/refunds", status=402, times=5, message="Insufficient balance.")
    client.force_login(clerk)

    response = receive(client, order, {line.pk: 1})

    assert response.status_code == 200 and "Stripe refused the refund" in response.content.decode()
    assert not OrderReturn.objects.exists()
    assert (order.lines.get().returned_quantity, Product.objects.get(pk=product.pk).stock) == (0, 4)


def test_a_dashboard_refund_records_money_and_never_stock(pay, stripe_api, django_capture_on_commit_callbacks):
    product = ProductFactory(price=Decimal("59.00"), stock=5)
    order = pay(product, quantity=1)
    stripe_api.refund(order.payment_intent_id, None, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("charge.refunded", charge))
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert (Product.objects.get(pk=product.pk).stock, order.lines.get().returned_quantity) == (4, 0)
    assert not OrderReturn.objects.exists()
