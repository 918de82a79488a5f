"""Helpers for the account tests: sign a browser in as an address, make a member, deliver Stripe's events."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.links import token_hash
from accounts.models import SignInLink
from billing.models import BillingCustomer, Plan, Subscription
from core.suppression import normalize_email
from core.tokens import new_token


@pytest.fixture(autouse=True)
def fresh_rate_counters():
    cache.clear()  # the sign-in limits count in the cache, which outlives a test
    yield
    cache.clear()


def make_link(email: str, *, minutes: int = 15) -> str:
    """A sign-in link for `email`, as the mail would carry it: the raw token (only its hash is stored)."""
    token = new_token()
    now = timezone.now()
    SignInLink.objects.create(
        email=normalize_email(email),
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    return token


def sign_in_as(client, email: str):
    """Sign the test client in as `email` through the link's POST, as a browser does."""
    response = client.post(f"/account/sign-in/{make_link(email)}/")
    assert response.status_code == 303, response.content[:500]
    return client


@pytest.fixture
def plan(db):
    return Plan.objects.create(
        name="FoosFoot Coach, monthly", slug="coach-monthly", price=Decimal("9.00"), interval=Plan.Interval.MONTH
    )


def make_membership(plan: Plan, email: str, *, status: str = Subscription.Status.ACTIVE, customer_id: str = ""):
    """A membership row as billing keeps it (no Stripe call): for pages and exports."""
    customer = None
    if customer_id:
        customer = BillingCustomer.objects.create(email=normalize_email(email), stripe_customer_id=customer_id)
    return Subscription.objects.create(
        reference=f"M-{new_token()[:10]}",
        email=normalize_email(email),
        plan=plan,
        customer=customer,
        status=status,
        has_access=status in Subscription.ACCESS_STATUSES,
        amount=plan.price,
        currency="USD",
        interval=plan.interval,
        current_period_end=timezone.now() + timedelta(days=20),
    )


def post_event(client, emu, event: dict):
    """POST one signed event to /stripe/webhook/ through Django's test client."""
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=emu.sign(payload)
    )


@pytest.fixture
def deliver_events(client, stripe_api, django_capture_on_commit_callbacks):
    """deliver_events(): POST every event the emulator made since the last call to /stripe/webhook/, running
    what each transaction left for after its commit (emails, enrollments)."""
    seen = {"count": len(stripe_api.events)}

    def deliver() -> list[str]:
        events = stripe_api.events[seen["count"] :]
        seen["count"] = len(stripe_api.events)
        for event in events:
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, stripe_api, event)
            assert response.status_code == 200, (event["type"], response.content)
        return [event["type"] for event in events]

    return deliver
