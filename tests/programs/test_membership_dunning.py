"""Issue 13: premium lessons follow the membership through Stripe's dunning and cancellations. A failed renewal
(past due, Stripe retrying) never stops or doubles them; retries given up (`canceled` or `unpaid`) stop them
where they are; a re-activation or a new subscription continues them from the next unsent lesson, not lesson 1;
a cancellation at the period's end keeps them going until the period ends. The emulator's clock renews, fails,
retries and ends; its events are POSTed, signed, to /stripe/webhook/."""

import datetime as dt

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from billing.models import Subscription
from billing.portal import open_portal
from programs import dispatch, memberships, schedule
from programs.models import Delivery, Enrollment
from tests.billing.conftest import DAY, join, pay
from tests.factories import program_with_steps
from tests.programs.conftest import member_enrollments, sent_days, statuses

Status = Subscription.Status


def joined(emu, plan, stripe_events, deliver, email="dana@example.com") -> Subscription:
    result = join(plan, email)
    pay(emu, result.session_id)
    deliver(stripe_events.take(), shuffle_seed=5, duplicate=True)
    return Subscription.objects.select_related("customer").get(pk=result.subscription.pk)


def next_due() -> Delivery | None:
    return Delivery.objects.filter(status=Delivery.Status.SCHEDULED).order_by("due_at").first()


def send_next_day(send_now) -> list:
    """A dispatch pass two hours after the next lesson's due time (the programs send an hour apart), and a
    second one that sends nothing more."""
    upcoming = next_due()
    assert upcoming is not None, "nothing is scheduled"
    outcomes = send_now(upcoming.due_at + dt.timedelta(hours=2))
    assert send_now(upcoming.due_at + dt.timedelta(hours=2)) == []
    return outcomes


@pytest.mark.django_db
@pytest.mark.parametrize("final_status", ["canceled", "unpaid"])
def test_given_up_retries_stop_the_lessons_where_they_are_and_rejoining_continues_them(
    stripe_api, premium, monthly, stripe_events, deliver, send_now, monkeypatch, final_status
):
    monkeypatch.setattr(stripe_api, "dunning_final_status", final_status)
    first = joined(stripe_api, monthly, stripe_events, deliver)
    for _ in range(2):  # lessons 1 and 2 of both programs
        send_next_day(send_now)
    balance, runners = member_enrollments()
    assert (sent_days(balance), sent_days(runners)) == ([0, 1], [0, 1])

    stripe_api.set_card_failing(first.customer.stripe_customer_id, True)
    stripe_api.advance_clock(31 * DAY)
    stripe_api.advance_clock((3 + 5 + 7) * DAY)  # the renewal and its three retries declined: Stripe gives up
    deliver(stripe_events.take(), shuffle_seed=3, duplicate=True)

    assert Subscription.objects.get(pk=first.pk).status == final_status
    assert statuses() == {"balance": "stopped", "runners": "stopped"}
    assert not Delivery.objects.filter(status__in=[Delivery.Status.SCHEDULED, Delivery.Status.HELD]).exists()
    assert send_now(timezone.now() + dt.timedelta(days=400)) == []  # nothing goes out any more

    stripe_api.set_card_failing(first.customer.stripe_customer_id, False)
    if final_status == "unpaid":  # the same subscription pays its invoice again: re-activated
        invoice = first.invoices.order_by("-created_at").first()
        stripe_api.pay_invoice(invoice.stripe_invoice_id, {})
        deliver(stripe_events.take(), shuffle_seed=4, duplicate=True)
        assert Subscription.objects.get(pk=first.pk).status == Status.ACTIVE
    else:  # a new subscription, the same Stripe customer
        stripe_events.take()
        second = joined(stripe_api, monthly, stripe_events, deliver)
        assert second.pk != first.pk and second.customer_id == first.customer_id

    balance, runners = member_enrollments()
    assert statuses() == {"balance": "active", "runners": "active"}
    assert (balance.anchor_day, runners.anchor_day) == (2, 2)  # where they stopped, not lesson 1
    upcoming = next_due()
    assert upcoming.step.day == 2
    assert upcoming.due_at.astimezone(schedule.UTC).hour in {p.send_hour for p in premium}  # a send hour, not at once
    while next_due() is not None:
        send_next_day(send_now)
    balance, runners = member_enrollments()
    assert (sent_days(balance), sent_days(runners)) == ([0, 1, 2, 3, 4, 5], [0, 1, 2])  # each lesson once
    assert statuses() == {"balance": "completed", "runners": "completed"}


@pytest.mark.django_db
def test_cancel_at_period_end_in_the_portal_keeps_the_lessons_until_the_period_ends(
    stripe_api, monthly, stripe_events, deliver, send_now
):
    long = program_with_steps(60, name="Long", slug="long")
    long.plans.add(monthly)
    member = joined(stripe_api, monthly, stripe_events, deliver)
    send_next_day(send_now)

    page = requests.post(
        open_portal(subscription=member),
        data={"action": "cancel", "subscription": member.stripe_subscription_id},
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 303
    deliver(stripe_events.take(), duplicate=True)
    member.refresh_from_db()
    assert (member.status, member.cancel_at_period_end) == (Status.ACTIVE, True)
    assert statuses() == {"long": "active"}
    for _ in range(3):  # the period is not over: lessons go on
        send_next_day(send_now)
    (enrollment,) = member_enrollments()
    assert sent_days(enrollment) == [0, 1, 2, 3]

    stripe_api.advance_clock(31 * DAY)
    deliver(stripe_events.take(), duplicate=True)

    assert Subscription.objects.get(pk=member.pk).status == Status.CANCELED
    assert statuses() == {"long": "stopped"}
    assert next_due() is None
    assert sent_days(Enrollment.objects.get(pk=enrollment.pk)) == [0, 1, 2, 3]


@pytest.mark.django_db
def test_a_lesson_claimed_as_the_membership_ends_waits_and_goes_when_the_member_is_back(premium, monthly):
    balance = premium[0]
    member = Subscription.objects.create(
        reference="HM-CLAIMED1", email="dana@example.com", plan=monthly, status=Status.ACTIVE, has_access=True,
        amount=monthly.price, currency="USD", interval="month",
    )  # fmt: skip
    memberships.sync_member(email="dana@example.com")
    enrollment = Enrollment.objects.get(program=balance, origin=Enrollment.Origin.MEMBER)
    first = enrollment.deliveries.get(step__day=0)
    with transaction.atomic():
        claimed = dispatch.claim_due_deliveries(now=first.due_at)
    assert first.pk in claimed
    first.refresh_from_db()
    assert first.status == Delivery.Status.SENDING  # claimed by a pass, its send task not run yet

    Subscription.objects.filter(pk=member.pk).update(status=Status.CANCELED, has_access=False)
    memberships.sync_member(email="dana@example.com")
    assert dispatch.deliver(delivery_id=first.pk, final_attempt=False) == dispatch.Outcome.HELD
    first.refresh_from_db()
    assert first.status == Delivery.Status.CANCELLED and first.sent_at is None

    Subscription.objects.filter(pk=member.pk).update(status=Status.ACTIVE, has_access=True)
    memberships.sync_member(email="dana@example.com")
    enrollment.refresh_from_db()
    first.refresh_from_db()
    assert (enrollment.status, enrollment.anchor_day, first.status) == ("active", 0, Delivery.Status.SCHEDULED)
