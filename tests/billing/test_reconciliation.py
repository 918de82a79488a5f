"""Reconciliation: a webhook lost for good is healed from Stripe's copy (subscriptions not synced for a day, named
by a failed event, or every one not ended with --all); checkouts nobody returned from are settled; membership
emails neither the mail server nor the broker took are sent; the beat schedule exists."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from billing.models import MembershipEmail, Subscription
from billing.reconciliation import reconcile_subscriptions
from payments.client import get_stripe_client
from payments.models import StripeEvent
from tests.billing.conftest import join, pay, post_event, subscription_of

pytestmark = pytest.mark.django_db
Status = Subscription.Status


def later(**delta):
    return timezone.now() + timedelta(**delta)


def test_a_membership_whose_webhooks_were_all_lost_is_started_and_ended_by_reconciliation(
    stripe_api, monthly, stripe_events, announcements, django_capture_on_commit_callbacks
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    stripe_events.take()  # never delivered

    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_subscriptions(now=later(minutes=5))["subscriptions_synced"] == 0  # too soon to ask
        counts = reconcile_subscriptions(now=later(minutes=20))

    subscription = subscription_of(result)
    assert counts["subscriptions_synced"] == 1 and counts["errors"] == 0
    assert (subscription.status, subscription.has_access) == (Status.ACTIVE, True)
    assert announcements == [("started", "dana@example.com", subscription.reference)]

    get_stripe_client().v1.subscriptions.cancel(subscription.stripe_subscription_id)  # its event is lost too
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_subscriptions(now=later(hours=2))["subscriptions_synced"] == 0  # synced an hour ago
        reconcile_subscriptions(now=later(days=2))

    subscription = subscription_of(result)
    assert subscription.status == Status.CANCELED
    assert announcements[1:] == [("ended", "dana@example.com", subscription.reference)]
    assert subscription.events.filter(actor="reconciliation", to_status=Status.CANCELED).exists()


def test_reconcile_stripe_all_resyncs_every_membership_not_ended(
    stripe_api, monthly, stripe_events, deliver, django_capture_on_commit_callbacks
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    subscription = subscription_of(result)
    get_stripe_client().v1.subscriptions.update(
        subscription.stripe_subscription_id, params={"cancel_at_period_end": True}
    )

    out = StringIO()
    call_command("reconcile_stripe", stdout=out)
    assert subscription_of(result).cancel_at_period_end is False  # synced moments ago: not asked
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reconcile_stripe", "--all", stdout=out)

    assert subscription_of(result).cancel_at_period_end is True
    assert "subscriptions_synced 1" in out.getvalue()


def test_a_checkout_nobody_returned_from_is_expired_at_stripe_and_locally(stripe_api, monthly, monkeypatch):
    result = join(monthly)
    session = stripe_api.sessions[result.session_id]
    session["expires_at"] = stripe_api.now() - 60  # Stripe's own expiry passed, its event lost

    reconcile_subscriptions(now=later(minutes=20))

    assert stripe_api.session(result.session_id)["status"] == "expired"
    assert subscription_of(result).status == Status.INCOMPLETE_EXPIRED


def test_an_open_checkout_is_asked_about_once_and_then_left_alone_for_a_while(stripe_api, monthly):
    result = join(monthly)
    Subscription.objects.filter(pk=result.subscription.pk).update(last_synced_at=None)

    reconcile_subscriptions(now=later(minutes=20))
    retrieved = [c for c in stripe_api.api_calls if c["path"] == f"/v1/checkout/sessions/{result.session_id}"]
    reconcile_subscriptions(now=later(minutes=40))

    assert subscription_of(result).status == Status.INCOMPLETE
    assert len(retrieved) == 1
    assert len([c for c in stripe_api.api_calls if c["path"] == f"/v1/checkout/sessions/{result.session_id}"]) == 1


def test_a_subscription_whose_event_failed_is_resynced_at_the_next_pass(
    client, stripe_api, monthly, stripe_events, deliver, django_capture_on_commit_callbacks
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    subscription = subscription_of(result)
    get_stripe_client().v1.subscriptions.update(
        subscription.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    event = stripe_events.take("customer.subscription.updated")[0]
    stripe_api.fail_next("GET", "/v1/subscriptions/", status=500, times=3)  # Stripe's client retries twice

    assert post_event(client, stripe_api, event).status_code == 500
    assert StripeEvent.objects.get(pk=event["id"]).state == StripeEvent.State.FAILED
    assert subscription_of(result).cancel_at_period_end is False

    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_subscriptions()

    assert counts["subscriptions_synced"] == 1
    assert subscription_of(result).cancel_at_period_end is True


def test_membership_emails_the_mail_server_refused_are_sent_by_reconciliation(
    stripe_api, monthly, stripe_events, deliver, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    monkeypatch.setattr("billing.emails.send_membership_email_task.delay", refuse)  # and the broker with it
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    welcome = MembershipEmail.objects.get(subscription_id=result.subscription.pk)
    assert welcome.sent_at is None and welcome.attempts == 1 and "mail server down" in welcome.last_error
    monkeypatch.undo()

    counts = reconcile_subscriptions(now=later(minutes=2))
    reconcile_subscriptions(now=later(minutes=4))

    assert counts["membership_emails_sent"] == 1
    assert [m.subject for m in mail.outbox] == ["Welcome to FoosFoot Coach, monthly"]
    assert MembershipEmail.objects.get(pk=welcome.pk).sent_at is not None


def test_beat_runs_the_membership_reconciliation():
    task = PeriodicTask.objects.get(task="billing.reconcile_subscriptions")
    assert task.enabled and task.interval.every == 15 and task.interval.period == "minutes"
