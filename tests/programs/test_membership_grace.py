"""Issue 13: a renewal fails, Stripe retries, the card is fixed in the portal, the renewal is paid: the premium
lessons never stop during the grace period (past due keeps access) and never go twice. The lessons are sent by a
real Celery worker to a real SMTP sink; Stripe's events come from the emulator's clock, POSTed, signed, to
/stripe/webhook/, duplicated and shuffled."""

import datetime as dt
import time

import pytest
import requests

from billing.models import Subscription
from billing.portal import open_portal
from programs import dispatch, tasks
from programs.models import Delivery
from tests.billing.conftest import DAY, join, pay
from tests.programs.conftest import member_enrollments, sent_days, statuses

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
Status = Subscription.Status


def wait_until_sent(timeout: float = 20.0) -> None:
    """Until the worker has sent (or given up) every lesson a pass claimed."""
    deadline = time.monotonic() + timeout
    while Delivery.objects.filter(status=Delivery.Status.SENDING).exists():
        assert time.monotonic() < deadline, "the worker did not send the claimed lessons"
        time.sleep(0.05)


def next_lessons_through_the_worker() -> int:
    """Two dispatch passes (as beat would run them) two hours after the next lesson is due; what they claimed."""
    upcoming = Delivery.objects.filter(status=Delivery.Status.SCHEDULED).order_by("due_at").first()
    assert upcoming is not None, "no lesson is scheduled: the lessons stopped"
    now = upcoming.due_at + dt.timedelta(hours=2)
    claimed = dispatch.dispatch_due_deliveries(now=now, enqueue=tasks.enqueue_sends)
    wait_until_sent()
    claimed += dispatch.dispatch_due_deliveries(now=now, enqueue=tasks.enqueue_sends)
    wait_until_sent()
    return claimed


def lesson_messages(mailbox) -> list[tuple[str, str]]:
    """(List-Id, Subject) of each lesson the sink received (welcome emails excluded)."""
    return [
        (str(message["List-Id"]), str(message["Subject"]))
        for message in mailbox
        if message["List-Id"] and not str(message["Subject"]).startswith("Welcome to")
    ]


def test_lessons_go_on_through_a_failed_renewal_and_its_retries_and_never_twice(
    celery_worker, mailbox, stripe_api, premium, monthly, stripe_events, deliver, settings
):
    settings.SITE_URL = "https://hodhod.example"
    result = join(monthly, "dana@example.com")
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take(), shuffle_seed=1, duplicate=True)
    member = Subscription.objects.select_related("customer").get(pk=result.subscription.pk)
    assert next_lessons_through_the_worker() == 2  # lesson 1 of both programs

    stripe_api.set_card_failing(member.customer.stripe_customer_id, True)
    stripe_api.advance_clock(31 * DAY)  # the renewal is declined
    deliver(stripe_events.take(), shuffle_seed=2, duplicate=True)
    assert Subscription.objects.get(pk=member.pk).status == Status.PAST_DUE
    assert statuses() == {"balance": "active", "runners": "active"}
    assert next_lessons_through_the_worker() == 2  # grace: lessons go on

    stripe_api.advance_clock(3 * DAY)  # Stripe's first retry is declined too
    deliver(stripe_events.take(), shuffle_seed=3, duplicate=True)
    assert Subscription.objects.get(pk=member.pk).status == Status.PAST_DUE
    assert next_lessons_through_the_worker() == 2

    fixed = requests.post(
        open_portal(subscription=member), data={"action": "card_fix"}, allow_redirects=False, timeout=10
    )
    assert fixed.status_code == 303
    stripe_api.advance_clock(5 * DAY)  # the next retry charges the new card
    deliver(stripe_events.take(), shuffle_seed=4, duplicate=True)
    assert Subscription.objects.get(pk=member.pk).status == Status.ACTIVE
    assert statuses() == {"balance": "active", "runners": "completed"}
    assert next_lessons_through_the_worker() == 1  # the balance program goes on; runners had three lessons

    balance, runners = member_enrollments()
    assert (sent_days(balance), sent_days(runners)) == ([0, 1, 2, 3], [0, 1, 2])
    received = lesson_messages(mailbox)
    assert len(received) == 7 == Delivery.objects.filter(status=Delivery.Status.SENT).count()
    assert len(set(received)) == 7  # no lesson twice
    assert balance.anchor_day == 0 and balance.deliveries.filter(status=Delivery.Status.CANCELLED).count() == 0
