"""Reconciliation: a webhook lost for good neither strands stock nor loses a paid order."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from payments.events import process_stripe_event
from payments.models import StripeEvent
from shop.fulfilment import fulfil_checkout_session
from shop.models import Order, Product
from shop.tasks import reconcile_pending_orders
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_comes_from_a_data_migration():
    # Transactional tests elsewhere flush the table, so run the migration's function again (it is idempotent).
    migration = importlib.import_module("shop.migrations.0003_reconcile_every_five_minutes")
    migration.create_schedule(apps, None)
    migration.create_schedule(apps, None)
    task = PeriodicTask.objects.get(task="shop.reconcile_pending_orders")
    assert task.enabled
    assert task.interval.every == 5


def test_lost_webhooks_are_reconciled(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    paid = checkout(foosfoot, quantity=2)
    abandoned = checkout(foosfoot, quantity=3)
    fresh = checkout(foosfoot, quantity=1)
    stripe_api.complete_session(paid.session_id, "paid", send_webhook=False)  # the webhook never arrives
    past = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk__in=[paid.order.pk, abandoned.order.pk]).update(checkout_expires_at=past)
    assert Product.objects.get(pk=foosfoot.pk).stock == 4

    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_pending_orders()  # the task's body, in this process

    assert counts["checked"] == 2
    assert Order.objects.get(pk=paid.order.pk).status == Order.Status.PAID
    assert Order.objects.get(pk=abandoned.order.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=fresh.order.pk).status == Order.Status.PENDING_PAYMENT
    assert stripe_api.session(abandoned.session_id)["status"] == "expired"
    assert Product.objects.get(pk=foosfoot.pk).stock == 7
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_pending_orders()["checked"] == 0


def test_success_page_fulfilment_before_the_webhook(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        order = fulfil_checkout_session(session_id=result.session_id, source="success_page")
        again = fulfil_checkout_session(session_id=result.session_id, source="success_page")
    assert order.pk == again.pk
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert len(mail.outbox) == 1
    assert fulfil_checkout_session(session_id="cs_test_unknown", session={"id": "cs_test_unknown"}) is None


def test_failed_events_are_retried(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    event = stripe_api.build_event("checkout.session.completed", session)
    StripeEvent.objects.create(id=event["id"], type=event["type"], payload=event, state=StripeEvent.State.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_pending_orders()
    assert counts["events_retried"] == 1
    assert StripeEvent.objects.get().state == StripeEvent.State.PROCESSED
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PAID


def test_reconciliation_survives_stripe_being_down(stripe_api, foosfoot):
    result = checkout(foosfoot)
    Order.objects.filter(pk=result.order.pk).update(checkout_expires_at=timezone.now() - timedelta(minutes=10))
    stripe_api.fail_next("GET", "/v1/checkout/sessions", status=500, times=10)
    counts = reconcile_pending_orders()
    assert counts["errors"] == 1
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PENDING_PAYMENT


def test_email_retry_task_sends_the_email(stripe_api, foosfoot):
    from shop.tasks import send_order_email_task

    order = checkout(foosfoot).order
    send_order_email_task(order.pk, "confirmation")  # the task's body, as a worker would run it
    assert len(mail.outbox) == 1
    assert order.number in mail.outbox[0].subject


def test_a_refund_left_deferred_by_a_race_with_its_payment_is_applied(
    stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    pi = session["payment_intent"]
    stripe_api.refund(pi, 1500, send_webhook=False)
    refund_event = stripe_api.build_event(
        "charge.refunded", stripe_api.charge(stripe_api.payment_intent(pi)["latest_charge"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    # What the race leaves: the refund looked for its order before the payment committed, and was deferred
    # after the payment had looked for deferred refunds.
    StripeEvent.objects.create(
        id=refund_event["id"],
        type=refund_event["type"],
        payload=refund_event,
        state=StripeEvent.State.DEFERRED,
        payment_intent_id=pi,
    )
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PAID

    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_pending_orders()

    assert counts["events_retried"] == 1
    assert StripeEvent.objects.get(pk=refund_event["id"]).state == StripeEvent.State.PROCESSED
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.amount_refunded == Decimal("15.00")


def test_a_customer_paying_while_reconciliation_expires_the_session_gets_a_paid_order(
    stripe_api, foosfoot, monkeypatch, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    Order.objects.filter(pk=result.order.pk).update(checkout_expires_at=timezone.now() - timedelta(minutes=10))
    expire = stripe_api.expire_session

    def paid_just_before(session_id, **kwargs):
        stripe_api.complete_session(session_id, "paid", send_webhook=False)  # between retrieve and expire
        return expire(session_id, **kwargs)

    monkeypatch.setattr(stripe_api, "expire_session", paid_just_before)
    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_pending_orders()

    assert (counts["paid"], counts["errors"]) == (1, 0)
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PAID
    assert Product.objects.get(pk=foosfoot.pk).stock == 9
    assert len(mail.outbox) == 1
