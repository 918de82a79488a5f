"""Issue 12, the nasty cases of paying: Stripe settles discount, shipping and tax; the shop records what it
settled, once, and flags what does not add up. Through the emulator with the real `stripe` library."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from payments.events import process_stripe_event
from payments.models import StripeEvent
from shop.models import Order, OrderEvent, PromotionCode, ShippingRate
from shop.promotions import sync_promotion_code
from tests.factories import OrderFactory, ProductFactory, PromotionCodeFactory, ShippingRateFactory
from tests.shop.conftest import checkout, post_event
from tests.stripe_emulator.support import fetch, submit

pytestmark = pytest.mark.django_db
TORONTO = {"country": "CA", "state": "ON", "city": "Toronto", "postal_code": "M5V 2T6", "line1": "1 King St W"}


def synced_code(**fields) -> PromotionCode:
    promo = PromotionCodeFactory(**fields)
    assert sync_promotion_code(promotion_id=promo.pk)
    return PromotionCode.objects.get(pk=promo.pk)


def deliver(client, emu, event, capture):
    with capture(execute=True):
        response = post_event(client, emu, event)
    assert response.status_code == 200, response.content
    return response


def paid_session(emu, session_id, **choices):
    return emu.complete_session(session_id, "paid", send_webhook=False, **choices)


@pytest.fixture
def canada(settings, db):
    settings.SHOP_SHIPPING_COUNTRIES = ["US", "CA"]
    settings.STRIPE_AUTOMATIC_TAX = True
    return {
        "standard": ShippingRateFactory(name="Standard", countries="CA", amount=Decimal("14.95"), position=1),
        "express": ShippingRateFactory(
            name="Express",
            countries="CA",
            amount=Decimal("34.95"),
            delivery_min_days=2,
            delivery_max_days=3,
            position=2,
        ),
    }


@pytest.fixture
def foosfoot(db):
    return ProductFactory(slug="foosfoot", name="FoosFoot", sku="FF-1", price=Decimal("59.00"), stock=100)


def test_a_duplicated_and_reordered_completion_pays_a_discounted_taxed_shipped_order_once(
    client, stripe_api, canada, foosfoot, django_capture_on_commit_callbacks
):
    code = synced_code(code="SAVE10", percent_off=Decimal("10"))
    result = checkout(foosfoot, quantity=2, email="dana@example.com", country="CA")
    express = stripe_api.session(result.session_id)["shipping_options"][1]["shipping_rate"]
    session = paid_session(
        stripe_api, result.session_id, promotion_code="save10", shipping_rate=express, address=TORONTO
    )
    completed = stripe_api.build_event("checkout.session.completed", session)
    # A refund made in the dashboard straight after: its event overtakes the completion.
    stripe_api.refund(session["payment_intent"], 1000, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(session["payment_intent"])["latest_charge"])
    refunded = stripe_api.build_event("charge.refunded", charge)

    for event in (refunded, completed, completed, refunded):
        deliver(client, stripe_api, event, django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=result.order.pk)
    # 118.00 - 11.80 (10 %) + 34.95 + tax at 13 % (HST, Ontario): 13.81 on the products, 4.54 on the shipping
    assert (order.subtotal, order.discount_total, order.shipping_total) == (Decimal("118.00"), Decimal("11.80"), Decimal("34.95"))  # fmt: skip
    assert (order.tax_total, order.shipping_tax, order.total) == (Decimal("18.35"), Decimal("4.54"), Decimal("159.50"))
    assert order.total * 100 == session["amount_total"]
    assert (order.promotion_id, order.promotion_code) == (code.pk, "SAVE10")
    assert (order.shipping_rate_id, order.shipping_rate_name, order.shipping_rate_amount) == (canada["express"].pk, "Express", Decimal("34.95"))  # fmt: skip
    assert order.shipping_delivery_estimate == "2–3 business days"
    assert order.shipping_address["state"] == "ON"
    transitions = list(order.events.filter(kind="transition").values_list("to_status", flat=True))
    assert transitions == ["paid", "partially_refunded"]
    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        f"Your Hod & Hod order {order.number} is confirmed",
        f"Your Hod & Hod order {order.number}",
    ]
    confirmation = mail.outbox[0].body
    for line in (
        "Subtotal: 118.00 USD",
        "Discount (SAVE10): -11.80 USD",
        "Shipping (Express, 2–3 business days): 34.95 USD",
        "Tax: 18.35 USD",
        "Total paid: 159.50 USD",
    ):
        assert line in confirmation
    api = client.get(f"/api/orders/{order.token}/").json()
    assert {k: api[k] for k in ("subtotal", "discount_total", "shipping_total", "tax_total", "total", "refunded_total")} == {
        "subtotal": "118.00", "discount_total": "11.80", "shipping_total": "34.95",
        "tax_total": "18.35", "total": "159.50", "refunded_total": "10.00",
    }  # fmt: skip
    assert (api["promotion_code"], api["shipping_rate"]) == (
        "SAVE10",
        {"name": "Express", "amount": "34.95", "delivery_estimate": "2–3 business days"},
    )
    page = client.get(f"/orders/{order.token}/").content.decode()
    assert "Discount (SAVE10)" in page and 'id="order-tax"' in page and "159.50" in page


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda s: s["total_details"].update(amount_tax=s["total_details"]["amount_tax"] + 100), "do not add up"),
        (lambda s: s.update(amount_subtotal=s["amount_subtotal"] - 100, amount_total=s["amount_total"] - 100), "products come to"),
        (lambda s: s.update(total_details="lots"), "cannot be read"),
    ],
)  # fmt: skip
def test_a_session_whose_amounts_do_not_add_up_is_flagged_not_paid(
    client, stripe_api, canada, foosfoot, django_capture_on_commit_callbacks, tamper, reason
):
    result = checkout(foosfoot, country="CA")
    session = paid_session(stripe_api, result.session_id, address=TORONTO)
    tamper(session)

    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.needs_attention and reason in order.attention_reason
    assert (order.total, order.tax_total) == (Decimal("59.00"), Decimal("0.00"))
    assert mail.outbox == []


def test_a_full_discount_needs_no_payment_and_pays_the_order(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    synced_code(code="FREE100", percent_off=Decimal("100"))
    result = checkout(foosfoot, quantity=2)  # no shipping rates: nothing else to pay

    session = paid_session(stripe_api, result.session_id, promotion_code="FREE100")
    assert (session["payment_status"], session["payment_intent"], session["amount_total"]) == (
        "no_payment_required",
        None,
        0,
    )
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert (order.discount_total, order.total, order.payment_intent_id) == (Decimal("118.00"), Decimal("0.00"), "")
    assert "Total paid: 0.00 USD" in mail.outbox[0].body


def test_a_code_that_expires_before_paying_is_refused_by_the_pay_page(stripe_api, foosfoot):
    synced_code(code="SOON", percent_off=Decimal("10"), expires_at=timezone.now() + timedelta(seconds=60))
    result = checkout(foosfoot)
    _, _, page = fetch(result.checkout_url)
    status, _, page = submit(result.checkout_url, page, "apply_code", promotion_code="SOON")
    assert status == 200 and "-5.90 USD" in page  # accepted while it is valid

    stripe_api.advance_clock(120)
    status, _, page = submit(result.checkout_url, page, "pay")

    assert status == 400 and "This code has expired." in page
    assert stripe_api.session(result.session_id)["status"] == "open"
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PENDING_PAYMENT


def test_forty_concurrent_buyers_of_a_five_use_code_get_five_discounts(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    code = synced_code(code="FIVEONLY", percent_off=Decimal("20"), max_redemptions=5)
    results = [checkout(foosfoot, email=f"buyer{n}@example.com") for n in range(40)]
    pages = {r.checkout_url: fetch(r.checkout_url)[2] for r in results}

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda url: submit(url, pages[url], "pay", promotion_code="FIVEONLY")[0], pages))

    assert sorted(statuses) == [303] * 5 + [400] * 35  # Stripe enforces the limit, under concurrency
    completed = [e for e in stripe_api.events if e["type"] == "checkout.session.completed"]
    assert len(completed) == 5
    for event in completed:
        deliver(client, stripe_api, event, django_capture_on_commit_callbacks)
    paid = Order.objects.filter(status=Order.Status.PAID)
    assert paid.count() == 5
    assert {(o.promotion_id, o.discount_total, o.total) for o in paid} == {
        (code.pk, Decimal("11.80"), Decimal("47.20"))
    }
    assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT, promotion__isnull=True).count() == 35
    admin_row = client.get(f"/api/orders/{paid.first().token}/").json()
    assert admin_row["promotion_code"] == "FIVEONLY"


def test_changing_a_rates_price_while_a_session_is_open_does_not_change_that_order(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    rate = ShippingRateFactory(name="Standard", countries="US", amount=Decimal("6.95"))
    result = checkout(foosfoot)
    ShippingRate.objects.filter(pk=rate.pk).update(amount=Decimal("9.95"), name="Standard (new)")
    api_rates = client.get("/api/shipping-rates/", {"country": "US"}).json()["rates"]
    assert api_rates[0]["amount"] == "9.95"  # new checkouts see the new price

    session = paid_session(stripe_api, result.session_id)
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert (order.shipping_total, order.shipping_rate_amount, order.shipping_rate_name) == (Decimal("6.95"), Decimal("6.95"), "Standard")  # fmt: skip
    assert order.total == Decimal("65.95")


def test_a_session_made_elsewhere_still_names_its_code_and_rate(
    stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    """A code made in the Stripe dashboard, and a rate the order's copy does not know: both asked of Stripe."""
    ShippingRateFactory(name="Standard", countries="US", amount=Decimal("6.95"))
    coupon = stripe_api.create_coupon({"percent_off": "50"})
    stripe_api.create_promotion_code({"promotion": {"type": "coupon", "coupon": coupon["id"]}, "code": "DASH50"})
    result = checkout(foosfoot)
    Order.objects.filter(pk=result.order.pk).update(shipping_options=[])
    session = paid_session(stripe_api, result.session_id, promotion_code="DASH50")

    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))

    order = Order.objects.get(pk=result.order.pk)
    assert (order.status, order.promotion_id, order.promotion_code) == (Order.Status.PAID, None, "DASH50")
    assert (order.shipping_rate_name, order.shipping_delivery_estimate) == ("Standard", "3–5 business days")
    assert StripeEvent.objects.get().state == StripeEvent.State.PROCESSED
    assert OrderEvent.objects.filter(order=order, kind="flagged").count() == 0


def test_the_csv_and_the_admin_show_the_breakdown(client):
    order = OrderFactory(
        status=Order.Status.PAID,
        subtotal=Decimal("118.00"),
        discount_total=Decimal("11.80"),
        promotion_code="SAVE10",
        shipping_total=Decimal("34.95"),
        shipping_rate_name="Express",
        shipping_delivery_estimate="2–3 business days",
        shipping_country="CA",
        tax_total=Decimal("18.35"),
        shipping_tax=Decimal("4.54"),
        total=Decimal("159.50"),
    )
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    response = client.post("/admin/shop/order/", {"action": "export_csv", "_selected_action": [order.pk]})
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row[c] for c in ("subtotal", "discount", "promotion_code", "shipping", "shipping_rate", "tax", "total")] == [
        "118.00", "11.80", "SAVE10", "34.95", "Express", "18.35", "159.50"
    ]  # fmt: skip
    money = client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    for shown in ("118.00 USD", "−11.80 USD (code SAVE10)", "34.95 USD (Express, 2–3 business days to CA)", "18.35 USD (4.54 USD on shipping)"):  # fmt: skip
        assert shown in money, shown
