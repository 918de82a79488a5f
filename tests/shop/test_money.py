"""Money: Decimal with a currency in Python, Stripe's integer minor units only at the boundary."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError

from payments.events import process_stripe_event
from payments.money import from_minor_units, to_minor_units
from shop.models import Order, Product
from shop.orders import CheckoutError, OrderError
from shop.refunds import refund_order
from tests.factories import ProductFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("59.00"), "USD", 5900),
        (Decimal("0.01"), "usd", 1),
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1500.00"), "jpy", 1500),
        (Decimal("12.35"), "KWD", 12350),  # three decimals at Stripe
    ],
)
def test_minor_units_both_ways(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount


@pytest.mark.parametrize(("amount", "currency"), [(Decimal("0.50"), "JPY"), (Decimal("1.005"), "USD")])
def test_amounts_stripe_cannot_charge_exactly_are_refused_not_rounded(amount, currency):
    with pytest.raises(ValueError, match="minor units"):
        to_minor_units(amount, currency)


def test_a_yen_price_with_cents_is_refused_by_the_model_and_at_checkout(stripe_api):
    product = ProductFactory(price=Decimal("1500.50"), currency="JPY", stock=5)
    with pytest.raises(ValidationError) as caught:
        product.full_clean()
    assert "price" in caught.value.message_dict
    with pytest.raises(CheckoutError) as refused:
        checkout(product)
    assert refused.value.code == "product_unavailable"
    assert Product.objects.get(pk=product.pk).stock == 5
    assert not Order.objects.exists()
    assert stripe_api.sessions == {}


def test_a_yen_order_is_charged_paid_and_refunded_in_whole_yen(stripe_api, django_capture_on_commit_callbacks):
    product = ProductFactory(price=Decimal("1500"), currency="JPY", stock=5)
    result = checkout(product, quantity=2)
    items = stripe_api.session_line_items(result.session_id)
    assert [(i["price"]["unit_amount"], i["price"]["currency"], i["quantity"]) for i in items] == [(1500, "jpy", 2)]
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    assert (session["amount_total"], session["currency"]) == (3000, "jpy")
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert (order.total, order.currency) == (Decimal("3000.00"), "JPY")

    manager = User.objects.create_user("manager", password="pw-for-tests-only", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="refund_order"))
    manager = User.objects.get(pk=manager.pk)
    with pytest.raises(OrderError) as refused:
        refund_order(order=order, amount=Decimal("0.50"), user=manager)
    assert refused.value.code == "invalid_amount"
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order=order, amount=Decimal("500"), user=manager)
    assert refund.amount == Decimal("500.00")
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 500
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
