"""Issue 13: one address buys the FoosFoot and joins FoosFoot Coach. The purchase enrolls it in the program the
device grants (origin `order`), the membership in the premium programs (origin `member`): two kinds of
enrollment, in different programs, each stopping for its own reason. A refund cancels the bought one only; an
ended membership stops the member ones only. Billing keeps one Stripe customer for the address across joins;
the shop's Checkout names the buyer by `customer_email` and makes no customer of its own."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from billing.models import BillingCustomer, Subscription
from programs.models import Enrollment
from shop.models import Order
from shop.refunds import refund_order
from tests.billing.conftest import DAY, join, pay
from tests.factories import ProductFactory, program_with_steps
from tests.programs.conftest import statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def foundations(db):
    device = ProductFactory(slug="foosfoot", name="FoosFoot", price=Decimal("59.00"), stock=10)
    return program_with_steps(4, name="Foundations", slug="foundations", granted_by=[device])


def buy_the_device(api_client, emu, stripe_events, deliver, email="dana@example.com") -> Order:
    """Through the shop's API and the emulator's hosted page, as a customer would."""
    cart = api_client.post("/api/carts/", format="json").json()["token"]
    added = api_client.post(f"/api/carts/{cart}/lines/", {"product": "foosfoot", "quantity": 1}, format="json")
    assert added.status_code == 201, added.content
    checkout = api_client.post(f"/api/carts/{cart}/checkout/", {"email": email}, format="json")
    assert checkout.status_code == 201, checkout.content
    emu.complete_session(checkout.json()["checkout_session_id"], "paid", send_webhook=False)
    deliver(stripe_events.take())
    order = Order.objects.get(token=checkout.json()["order"]["token"])
    assert order.status == Order.Status.PAID
    return order


def join_and_pay(emu, plan, stripe_events, deliver, email="dana@example.com") -> Subscription:
    result = join(plan, email)
    pay(emu, result.session_id)
    deliver(stripe_events.take(), shuffle_seed=2, duplicate=True)
    return Subscription.objects.select_related("customer").get(pk=result.subscription.pk)


def kinds(email="dana@example.com") -> dict[str, tuple[str, str]]:
    """Program slug → (origin, status) of every enrollment of the address."""
    rows = Enrollment.objects.filter(email__iexact=email).values_list("program__slug", "origin", "status")
    return {slug: (origin, status) for slug, origin, status in rows}


def test_a_buyer_who_joins_has_two_kinds_and_a_refund_cancels_only_the_bought_one(
    api_client, stripe_api, foundations, premium, monthly, stripe_events, deliver, django_capture_on_commit_callbacks
):
    order = buy_the_device(api_client, stripe_api, stripe_events, deliver)
    join_and_pay(stripe_api, monthly, stripe_events, deliver)
    assert kinds() == {
        "foundations": ("order", "active"),
        "balance": ("member", "active"),
        "runners": ("member", "active"),
    }

    manager = get_user_model().objects.create_superuser("manager", "manager@hodhod.example", "a-long-password-123")
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order=order, user=manager, reason="requested_by_customer")
    deliver(stripe_events.take())  # Stripe's charge.refunded adds nothing

    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED
    assert kinds() == {
        "foundations": ("order", "cancelled"),
        "balance": ("member", "active"),
        "runners": ("member", "active"),
    }


def test_an_ended_membership_stops_only_the_member_ones_and_one_stripe_customer_serves_every_join(
    api_client, stripe_api, foundations, premium, monthly, yearly, stripe_events, deliver
):
    buy_the_device(api_client, stripe_api, stripe_events, deliver)
    first = join_and_pay(stripe_api, monthly, stripe_events, deliver)

    stripe_api.cancel_subscription(first.stripe_subscription_id, {})  # canceled at once (e.g. from the dashboard)
    deliver(stripe_events.take())
    assert kinds() == {
        "foundations": ("order", "active"),
        "balance": ("member", "stopped"),
        "runners": ("member", "stopped"),
    }

    stripe_api.advance_clock(40 * DAY)
    stripe_events.take()
    second = join_and_pay(stripe_api, yearly, stripe_events, deliver)  # rejoined, on the other plan
    assert statuses() == {"balance": "active", "runners": "active"}
    assert kinds()["foundations"] == ("order", "active")

    # Billing reuses its Stripe customer for the address; the shop's payment-mode Checkout made none.
    assert second.customer_id == first.customer_id and BillingCustomer.objects.count() == 1
    assert [c["email"] for c in stripe_api.customers.values()] == ["dana@example.com"]
    assert stripe_api.session(second.checkout_session_id)["customer"] == first.customer.stripe_customer_id
    shop_session = stripe_api.session(Order.objects.get().checkout_session_id)
    assert shop_session["customer"] is None and shop_session["customer_email"] == "dana@example.com"


def test_a_program_is_offered_either_with_products_or_with_plans(client, foundations, monthly):
    staff = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "a-long-password-123")
    client.force_login(staff)
    form = client.get(f"/admin/programs/program/{foundations.pk}/change/").content.decode()
    assert 'name="plans"' in form and "FoosFoot Coach, monthly" in form

    answer = client.post(
        f"/admin/programs/program/{foundations.pk}/change/",
        {
            "name": foundations.name,
            "slug": foundations.slug,
            "send_hour": 8,
            "send_weekdays": [0, 1, 2, 3, 4, 5, 6],
            "is_active": "on",
            "granted_by": [foundations.granted_by.get().pk],
            "plans": [monthly.pk],
        },
    )

    assert answer.status_code == 200
    assert "either with products or with membership plans" in answer.content.decode()
    assert not foundations.plans.exists()
