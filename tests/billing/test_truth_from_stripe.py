"""Truth from Stripe: every subscription, invoice and membership-checkout event brings the local subscription in
line with Stripe's current copy, so duplicates and any order of arrival end in one state, and a member's access
is announced once per change. Driven through the emulator with the real `stripe` library; events are POSTed,
signed, to /stripe/webhook/."""

from decimal import Decimal

import pytest
import requests
from django.core import mail

from billing.models import BillingCustomer, Invoice, MembershipEmail, Subscription
from billing.plans import sync_plan
from billing.portal import open_portal
from billing.selectors import has_access
from payments.models import StripeEvent
from tests.billing.conftest import DAY, join, pay, subscription_of

pytestmark = pytest.mark.django_db
Status = Subscription.Status
CHECKOUT = "checkout.session.completed"
CREATED = "customer.subscription.created"


def joined_and_paid(emu, plan, stripe_events, email="dana@example.com"):
    result = join(plan, email)
    pay(emu, result.session_id)
    return result, stripe_events.take()


def arranged(events: list[dict], arrangement: str) -> list[dict]:
    checkout = [e for e in events if e["type"] == CHECKOUT]
    others = [e for e in events if e["type"] != CHECKOUT]
    if arrangement == "checkout_first":
        return checkout + others
    if arrangement == "checkout_last":
        return others + checkout
    if arrangement == "without_subscription_created":
        return [e for e in events if e["type"] != CREATED]
    if arrangement == "checkout_alone":
        return checkout
    raise AssertionError(arrangement)


def kinds_owed(subscription) -> list[str]:
    return sorted(MembershipEmail.objects.filter(subscription=subscription).values_list("kind", flat=True))


@pytest.mark.parametrize(
    "arrangement", ["checkout_first", "checkout_last", "without_subscription_created", "checkout_alone"]
)
def test_checkout_completed_before_after_or_without_subscription_created_starts_one_membership(
    stripe_api, monthly, stripe_events, deliver, announcements, arrangement
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)

    deliver(arranged(events, arrangement))

    subscription = subscription_of(result)
    assert subscription.status == Status.ACTIVE and subscription.has_access
    assert subscription.stripe_subscription_id == stripe_api.session(result.session_id)["subscription"]
    stripe_subscription = stripe_api.retrieve("subscription", subscription.stripe_subscription_id)
    assert (
        int(subscription.current_period_end.timestamp())
        == stripe_subscription["items"]["data"][0]["current_period_end"]
    )
    assert Subscription.objects.count() == 1
    assert announcements == [("started", "dana@example.com", subscription.reference)]
    assert kinds_owed(subscription) == ["welcome"]
    assert [m.subject for m in mail.outbox] == ["Welcome to FoosFoot Coach, monthly"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_every_event_duplicated_and_shuffled_ends_as_one_membership_announced_once(
    stripe_api, monthly, stripe_events, deliver, announcements, seed
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)

    outcomes = deliver(events, shuffle_seed=seed, duplicate=True)

    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access, Subscription.objects.count()) == (Status.ACTIVE, True, 1)
    assert announcements == [("started", "dana@example.com", subscription.reference)]
    assert len(mail.outbox) == 1
    assert Invoice.objects.get().status == "paid"
    assert sum(1 for _, outcome in outcomes if outcome == "duplicate") == len(events)
    handled = StripeEvent.objects.filter(type__in=[CHECKOUT, CREATED, "invoice.paid"])
    assert set(handled.values_list("state", flat=True)) == {StripeEvent.State.PROCESSED}


def test_an_expired_checkout_leaves_the_membership_incomplete_expired_and_announces_nothing(
    stripe_api, monthly, stripe_events, deliver, announcements
):
    result = join(monthly)
    stripe_api.expire_session(result.session_id, send_webhook=False)

    assert deliver(stripe_events.take("checkout.session.expired"), duplicate=True)[0][1] == "processed"

    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access) == (Status.INCOMPLETE_EXPIRED, False)
    assert announcements == []
    assert mail.outbox == []


def test_a_failed_renewal_keeps_access_through_retries_until_the_card_fixed_in_the_portal_pays(
    stripe_api, monthly, stripe_events, deliver, announcements
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    subscription = subscription_of(result)
    stripe_api.set_card_failing(subscription.customer.stripe_customer_id, True)
    stripe_events.take()

    stripe_api.advance_clock(31 * DAY)  # the renewal's charge is declined
    deliver(stripe_events.take(), shuffle_seed=7, duplicate=True)
    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access) == (Status.PAST_DUE, True)
    assert has_access("Dana@Example.com")
    failed = [m for m in mail.outbox if "did not go through" in m.subject]
    assert len(failed) == 1
    assert "/account/billing/?link=" in failed[0].body

    stripe_api.advance_clock(3 * DAY)  # Stripe's first retry is declined too: still past due, no second email
    deliver(stripe_events.take(), shuffle_seed=8)
    assert subscription_of(result).status == Status.PAST_DUE
    assert len([m for m in mail.outbox if "did not go through" in m.subject]) == 1

    portal = requests.post(
        open_portal(subscription=subscription), data={"action": "card_fix"}, allow_redirects=False, timeout=10
    )
    assert portal.status_code == 303
    stripe_api.advance_clock(5 * DAY)  # the next retry charges the new card
    deliver(stripe_events.take(), shuffle_seed=9, duplicate=True)

    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access) == (Status.ACTIVE, True)
    assert announcements == [("started", "dana@example.com", subscription.reference)]  # access never stopped
    assert list(subscription.invoices.order_by("created_at").values_list("status", flat=True)) == ["paid", "paid"]
    assert subscription.events.filter(to_status=Status.PAST_DUE).count() == 1


@pytest.mark.parametrize("final_status", ["canceled", "unpaid"])
def test_exhausted_retries_end_the_membership_once_and_a_rejoin_starts_it_again_with_the_same_customer(
    stripe_api, monthly, stripe_events, deliver, announcements, monkeypatch, final_status
):
    monkeypatch.setattr(stripe_api, "dunning_final_status", final_status)
    first, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    customer_id = subscription_of(first).customer.stripe_customer_id
    stripe_api.set_card_failing(customer_id, True)
    stripe_events.take()

    stripe_api.advance_clock(31 * DAY)  # the renewal is declined: past due, the member is emailed
    deliver(stripe_events.take())
    stripe_api.advance_clock((3 + 5 + 7) * DAY)  # three retries declined, then Stripe gives up
    deliver(stripe_events.take(), shuffle_seed=3, duplicate=True)

    ended = subscription_of(first)
    assert (ended.status, ended.has_access) == (final_status, False)
    assert not has_access("dana@example.com")
    assert announcements == [
        ("started", "dana@example.com", ended.reference),
        ("ended", "dana@example.com", ended.reference),
    ]
    assert kinds_owed(ended) == ["canceled", "payment_failed", "welcome"]

    stripe_api.set_card_failing(customer_id, False)
    stripe_events.take()
    second, events = joined_and_paid(stripe_api, monthly, stripe_events)
    assert stripe_api.session(second.session_id)["customer"] == customer_id
    deliver(events, shuffle_seed=4)

    rejoined = subscription_of(second)
    assert rejoined.status == Status.ACTIVE and rejoined.pk != ended.pk
    assert announcements[2:] == [("started", "dana@example.com", rejoined.reference)]
    assert BillingCustomer.objects.count() == 1 and len(stripe_api.customers) == 1


def test_cancel_at_period_end_in_the_portal_keeps_access_until_the_period_ends(
    stripe_api, monthly, stripe_events, deliver, announcements
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    subscription = subscription_of(result)

    page = requests.post(
        open_portal(subscription=subscription),
        data={"action": "cancel", "subscription": subscription.stripe_subscription_id},
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 303
    deliver(stripe_events.take(), duplicate=True)

    subscription = subscription_of(result)
    assert (subscription.status, subscription.cancel_at_period_end, subscription.has_access) == (
        Status.ACTIVE,
        True,
        True,
    )
    assert announcements == [("started", "dana@example.com", subscription.reference)]
    assert kinds_owed(subscription) == ["cancellation_scheduled", "welcome"]
    assert "will end" in mail.outbox[-1].subject

    stripe_api.advance_clock(31 * DAY)
    deliver(stripe_events.take(), duplicate=True)

    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access) == (Status.CANCELED, False)
    assert announcements[1:] == [("ended", "dana@example.com", subscription.reference)]
    assert kinds_owed(subscription) == ["cancellation_scheduled", "welcome"]  # the confirmation said it all


def test_a_yearly_membership_is_reminded_once_before_it_renews_and_a_monthly_one_is_not(
    stripe_api, monthly, yearly, stripe_events, deliver
):
    year, events = joined_and_paid(stripe_api, yearly, stripe_events)
    month, more = joined_and_paid(stripe_api, monthly, stripe_events, email="eli@example.com")
    deliver(events + more)

    stripe_api.advance_clock(360 * DAY)
    upcoming = stripe_events.take("invoice.upcoming")
    assert len(upcoming) == 1
    deliver(upcoming, duplicate=True)

    assert kinds_owed(subscription_of(year)) == ["renewal_reminder", "welcome"]
    assert kinds_owed(subscription_of(month)) == ["welcome"]
    reminder = mail.outbox[-1]
    assert reminder.to == ["dana@example.com"] and "renews soon" in reminder.subject
    assert "90.00 USD" in reminder.body


def test_a_subscription_stripe_says_nothing_of_ours_about_is_ignored(stripe_api, monthly, stripe_events, deliver):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    foreign = [dict(e, id=e["id"] + "x") for e in events if e["type"] in (CREATED, CHECKOUT)]
    for event in foreign:
        obj = event["data"]["object"]
        event["data"] = {"object": dict(obj, id=obj["id"] + "x", metadata={}, client_reference_id=None)}

    assert [outcome for _, outcome in deliver(foreign)] == ["ignored", "ignored"]
    assert subscription_of(result).status == Status.INCOMPLETE


def test_a_payment_mode_session_is_left_to_the_shop_and_a_subscription_mode_one_to_billing(
    stripe_api, monthly, stripe_events, deliver
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    completed = next(e for e in events if e["type"] == CHECKOUT)
    as_payment = {**completed, "id": completed["id"] + "p"}
    as_payment["data"] = {"object": {**completed["data"]["object"], "mode": "payment"}}

    assert deliver([as_payment]) == [(CHECKOUT, "ignored")]  # billing's handler: not a membership's
    assert subscription_of(result).status == Status.INCOMPLETE
    assert deliver([completed]) == [(CHECKOUT, "processed")]  # the shop's handler ignored it, billing applied it
    assert subscription_of(result).status == Status.ACTIVE


def test_a_plan_switched_in_the_portal_is_the_membership_s_plan_from_stripe_s_copy(
    stripe_api, monthly, yearly, stripe_events, deliver, announcements
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    yearly_price = sync_plan(plan_id=yearly.pk).stripe_price_id
    subscription = subscription_of(result)

    switched = requests.post(
        open_portal(subscription=subscription),
        data={"action": "switch", "subscription": subscription.stripe_subscription_id, "price": yearly_price},
        allow_redirects=False,
        timeout=10,
    )
    assert switched.status_code == 303
    deliver(stripe_events.take(), shuffle_seed=2, duplicate=True)

    subscription = subscription_of(result)
    assert (subscription.plan, subscription.interval, subscription.amount) == (yearly, "year", Decimal("90.00"))
    assert subscription.status == Status.ACTIVE
    assert announcements == [("started", "dana@example.com", subscription.reference)]
    assert subscription.events.filter(kind="synced", message__contains="FoosFoot Coach, yearly").exists()
