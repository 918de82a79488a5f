"""Issue 16: the webhook's production mode (`STRIPE_WEBHOOK_APPLY=worker`). The request verifies the signature and
stores the event in one INSERT, answers `queued`, and a Celery worker applies it under the event's row lock; a
duplicate delivery of an applied event is answered from its state; an event whose task was lost is applied by
reconciliation; with the broker down, the request applies the event itself."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from payments import events as payment_events
from payments.models import StripeEvent
from payments.tasks import apply_stripe_event
from shop.models import Order, OrderEmail, OrderEvent
from shop.reconciliation import UNAPPLIED_EVENT_MIN_AGE, reconcile_pending_orders
from tests.shop.conftest import checkout, post_event

# The request's whole database work for a first delivery: the INSERT (… ON CONFLICT DO NOTHING RETURNING).
FIRST_DELIVERY_QUERIES = 1
DUPLICATE_DELIVERY_QUERIES = 2  # the INSERT that found the event stored, and its state


@pytest.fixture(autouse=True)
def worker_mode(settings):
    settings.STRIPE_WEBHOOK_APPLY = "worker"


def completed_event(emu, order: Order) -> dict:
    session = emu.complete_session(order.checkout_session_id, "paid", send_webhook=False)
    return emu.build_event("checkout.session.completed", session)


def wait_until_paid(order: Order, timeout: float = 15.0) -> Order:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order.refresh_from_db()
        if order.status == Order.Status.PAID:
            return order
        time.sleep(0.05)
    pytest.fail(f"order {order.number} is still {order.status}")


def transitions(order: Order) -> list[tuple[str, str]]:
    return list(OrderEvent.objects.filter(order=order, kind="transition").values_list("from_status", "to_status"))


def test_issue16_the_webhook_answers_queued_and_a_real_worker_pays_the_order_once(
    client, stripe_api, foosfoot, mailbox, celery_worker, django_assert_max_num_queries
):
    order = checkout(foosfoot, quantity=2).order
    event = completed_event(stripe_api, order)

    with django_assert_max_num_queries(FIRST_DELIVERY_QUERIES):
        response = post_event(client, stripe_api, event)
    assert (response.status_code, response.json()) == (200, {"received": True, "outcome": "queued"})

    order = wait_until_paid(order)
    [message] = mailbox.wait_for(1)
    assert order.number in message["Subject"]
    stored = StripeEvent.objects.get(pk=event["id"])
    assert (stored.state, stored.attempts) == (StripeEvent.State.PROCESSED, 1)
    assert transitions(order) == [("pending_payment", "paid")]
    foosfoot.refresh_from_db()
    assert (foosfoot.stock, foosfoot.reserved) == (8, 0)

    with django_assert_max_num_queries(DUPLICATE_DELIVERY_QUERIES):
        again = post_event(client, stripe_api, event)
    assert again.json() == {"received": True, "outcome": "duplicate"}
    time.sleep(0.5)  # a second task, had one been queued, would have run by now
    assert transitions(order) == [("pending_payment", "paid")]
    assert OrderEmail.objects.filter(order=order).count() == 1 and len(mailbox) == 1


@pytest.mark.django_db
def test_issue16_a_delivery_while_still_queued_is_queued_again_and_applied_once(client, stripe_api, foosfoot):
    order = checkout(foosfoot).order
    event = completed_event(stripe_api, order)
    assert post_event(client, stripe_api, event).json()["outcome"] == "queued"
    # No worker ran it yet: Stripe's retry (or a duplicate) queues it again rather than answer "duplicate".
    assert post_event(client, stripe_api, event).json()["outcome"] == "queued"
    assert StripeEvent.objects.get(pk=event["id"]).state == StripeEvent.State.RECEIVED
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT

    # Both tasks run (the way the worker runs them, here in this process): the second finds the event applied.
    assert apply_stripe_event.apply(args=[event["id"]]).get() == StripeEvent.State.PROCESSED
    assert apply_stripe_event.apply(args=[event["id"]]).get() == "duplicate"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert transitions(order) == [("pending_payment", "paid")]
    assert OrderEmail.objects.filter(order=order, kind="confirmation").count() == 1
    assert post_event(client, stripe_api, event).json()["outcome"] == "duplicate"


@pytest.mark.django_db
def test_issue16_an_event_whose_task_was_lost_is_applied_by_reconciliation(client, stripe_api, foosfoot):
    order = checkout(foosfoot).order
    event = completed_event(stripe_api, order)
    assert post_event(client, stripe_api, event).json()["outcome"] == "queued"

    # A young one is left to its worker, which may yet run it.
    reconcile_pending_orders(now=timezone.now())
    assert StripeEvent.objects.get(pk=event["id"]).state == StripeEvent.State.RECEIVED

    # The task never ran (the broker restarted without its queue): the next pass after the grace applies it.
    counts = reconcile_pending_orders(now=timezone.now() + UNAPPLIED_EVENT_MIN_AGE + timedelta(seconds=1))
    assert counts["events_retried"] == 1 and counts["errors"] == 0
    assert StripeEvent.objects.get(pk=event["id"]).state == StripeEvent.State.PROCESSED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.django_db
def test_issue16_with_the_broker_down_the_request_applies_the_event(client, stripe_api, foosfoot, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(apply_stripe_event, "delay", broker_down)  # the edge of the world: the broker
    order = checkout(foosfoot).order
    event = completed_event(stripe_api, order)
    assert post_event(client, stripe_api, event).json() == {"received": True, "outcome": "processed"}
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.django_db
def test_issue16_a_failing_event_is_left_failed_with_its_error_and_applied_on_a_retry(
    client, stripe_api, foosfoot, monkeypatch
):
    order = checkout(foosfoot).order
    event = completed_event(stripe_api, order)
    assert post_event(client, stripe_api, event).json()["outcome"] == "queued"
    handlers = payment_events.handlers_for

    def broken(stored):
        raise RuntimeError("the database went away mid-event")

    monkeypatch.setattr(payment_events, "handlers_for", lambda event_type: [broken])
    with pytest.raises(RuntimeError):
        payment_events.apply_stored_event(event_id=event["id"])
    stored = StripeEvent.objects.get(pk=event["id"])
    assert stored.state == StripeEvent.State.FAILED and stored.attempts == 1
    assert "the database went away mid-event" in stored.last_error
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT  # its effects rolled back with it

    monkeypatch.setattr(payment_events, "handlers_for", handlers)
    assert payment_events.apply_stored_event(event_id=event["id"]) == StripeEvent.State.PROCESSED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert StripeEvent.objects.get(pk=event["id"]).attempts == 2
