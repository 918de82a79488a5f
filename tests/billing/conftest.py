"""Helpers for the membership tests: plans, joining through the real services, paying on the emulator, and
delivering the events Stripe would send (in order, shuffled or duplicated) to /stripe/webhook/."""

import json
import random
from decimal import Decimal

import pytest
from django.core.cache import cache

from billing.join import start_membership
from billing.models import Plan, Subscription
from billing.signals import membership_ended, membership_started


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()  # the join limits count in the cache, which outlives a test
    yield
    cache.clear()


@pytest.fixture
def monthly(db):
    return Plan.objects.create(
        name="FoosFoot Coach, monthly", slug="coach-monthly", price=Decimal("9.00"), interval=Plan.Interval.MONTH
    )


@pytest.fixture
def yearly(db):
    return Plan.objects.create(
        name="FoosFoot Coach, yearly", slug="coach-yearly", price=Decimal("90.00"), interval=Plan.Interval.YEAR
    )


@pytest.fixture
def announcements():
    """What billing announced: ("started" | "ended", email, subscription reference), in order."""
    seen = []

    def on_started(sender, email, subscription, **kwargs):
        seen.append(("started", email, subscription.reference))

    def on_ended(sender, email, subscription, **kwargs):
        seen.append(("ended", email, subscription.reference))

    membership_started.connect(on_started, dispatch_uid="billing-test-started")
    membership_ended.connect(on_ended, dispatch_uid="billing-test-ended")
    yield seen
    membership_started.disconnect(dispatch_uid="billing-test-started")
    membership_ended.disconnect(dispatch_uid="billing-test-ended")


def join(plan: Plan, email: str = "dana@example.com"):
    return start_membership(plan=plan, email=email)


class StripeEvents:
    """The events the emulator made since the last `take()` (it sends none: no webhook URL in these tests)."""

    def __init__(self, emu):
        self.emu = emu
        self.seen = len(emu.events)

    def take(self, *types: str) -> list[dict]:
        events = self.emu.events[self.seen :]
        self.seen = len(self.emu.events)
        return [event for event in events if not types or event["type"] in types]


@pytest.fixture
def stripe_events(stripe_api):
    return StripeEvents(stripe_api)


def post_event(client, emu, event: dict):
    """POST one signed event to /stripe/webhook/ through Django's test client."""
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=emu.sign(payload)
    )


@pytest.fixture
def deliver(client, stripe_api, django_capture_on_commit_callbacks):
    """deliver(events, shuffle_seed=None, duplicate=False): POST each signed event to /stripe/webhook/ and run
    what each transaction left for after its commit; returns the answers' outcomes."""

    def send(events, *, shuffle_seed=None, duplicate=False):
        order = [event for event in events for _ in range(2 if duplicate else 1)]
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(order)
        outcomes = []
        for event in order:
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, stripe_api, event)
            assert response.status_code == 200, (event["type"], response.content)
            outcomes.append((event["type"], response.json()["outcome"]))
        return outcomes

    return send


def pay(emu, session_id: str, **kwargs) -> dict:
    """What the member does on Stripe's page: pay (the events are made, not sent)."""
    return emu.complete_session(session_id, "paid", send_webhook=False, **kwargs)


def subscription_of(result) -> Subscription:
    """A fresh copy of the subscription of a JoinResult (or of a Subscription)."""
    pk = result.pk if isinstance(result, Subscription) else result.subscription.pk
    return Subscription.objects.select_related("plan", "customer").get(pk=pk)


DAY = 86400
