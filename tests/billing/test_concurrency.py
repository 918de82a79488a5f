"""Events of one member applied at the same moment, each in its own connection: the member's row locks make them
apply one after the other, so access is announced once and the end state is Stripe's."""

import threading

import pytest
from django.core import mail
from django.db import connection

from billing.models import Subscription
from billing.signals import membership_started
from billing.sync import sync_subscription
from payments.events import process_stripe_event
from tests.billing.conftest import join, pay, subscription_of

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls) -> list:
    """Run each call in its own thread (own database connection), released at the same moment."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcomes.append(call())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    return outcomes


def test_every_event_of_a_join_at_once_and_the_success_page_too_start_one_membership(
    stripe_api, monthly, stripe_events
):
    started = []
    membership_started.connect(lambda sender, email, **kw: started.append(email), weak=False, dispatch_uid="race")
    try:
        result = join(monthly)
        pay(stripe_api, result.session_id)
        events = [
            e
            for e in stripe_events.take()
            if e["type"].startswith(("customer.subscription", "invoice.paid", "checkout"))
        ]
        stripe_id = stripe_api.session(result.session_id)["subscription"]
        calls = [lambda e=event: process_stripe_event(event=e) for event in events for _ in range(2)]
        calls.append(
            lambda: sync_subscription(
                subscription_id=result.subscription.pk, stripe_subscription_id=stripe_id, actor="test"
            )
        )

        run_together(*calls)
    finally:
        membership_started.disconnect(dispatch_uid="race")

    subscription = subscription_of(result)
    assert (subscription.status, subscription.has_access) == (Subscription.Status.ACTIVE, True)
    assert started == ["dana@example.com"]
    assert subscription.events.filter(to_status=Subscription.Status.ACTIVE).count() == 1
    assert [m.subject for m in mail.outbox] == ["Welcome to FoosFoot Coach, monthly"]
