"""Two (or eight) deliveries of one event at the same moment cannot both apply it."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.db import connection
from django.utils import timezone

from payments.events import process_stripe_event
from payments.models import StripeEvent
from shop.fulfilment import fulfil_checkout_session
from shop.models import Order, OrderEvent, Product, Refund
from shop.reconciliation import reconcile_pending_orders
from shop.refunds import refund_order
from tests.factories import ProductFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_duplicate_deliveries_apply_once(stripe_api):
    product = ProductFactory(stock=5)
    result = checkout(product)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    event = stripe_api.build_event("checkout.session.completed", session)
    barrier = threading.Barrier(8)
    outcomes = []

    def deliver():
        try:
            barrier.wait(timeout=30)
            outcomes.append(process_stripe_event(event=event))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["duplicate"] * 7 + ["processed"]
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1
    assert StripeEvent.objects.count() == 1
    assert len(mail.outbox) == 1


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


def test_webhook_success_page_and_reconciliation_racing_pay_once(stripe_api):
    product = ProductFactory(stock=5)
    result = checkout(product, quantity=2)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    Order.objects.filter(pk=result.order.pk).update(checkout_expires_at=timezone.now() - timedelta(minutes=10))
    event = stripe_api.build_event("checkout.session.completed", session)

    run_together(
        lambda: process_stripe_event(event=event),
        lambda: fulfil_checkout_session(session_id=result.session_id, source="success_page"),
        reconcile_pending_orders,
        lambda: process_stripe_event(event=event),
    )

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert OrderEvent.objects.filter(order=order, kind="transition").count() == 1
    assert len(mail.outbox) == 1
    assert Product.objects.get(pk=product.pk).stock == 3


def test_a_staff_refund_racing_a_dashboard_refunds_webhook_counts_each_once(stripe_api):
    product = ProductFactory(stock=5, price=Decimal("59.00"))
    result = checkout(product)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    order = Order.objects.get(pk=result.order.pk)
    dashboard = stripe_api.refund(order.payment_intent_id, 1000, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    charge.pop("refunds")  # as the pinned API version sends it
    dashboard_event = stripe_api.build_event("charge.refunded", charge)
    manager = User.objects.create_user("manager", password="pw-for-tests-only", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="refund_order"))
    manager = User.objects.get(pk=manager.pk)

    outcomes = run_together(
        lambda: refund_order(order=order, amount=Decimal("20.00"), user=manager),
        lambda: process_stripe_event(event=dashboard_event),
    )

    staff_refund = next(o for o in outcomes if isinstance(o, Refund))
    assert dict(Refund.objects.values_list("stripe_refund_id", "amount")) == {
        dashboard["id"]: Decimal("10.00"),
        staff_refund.stripe_refund_id: Decimal("20.00"),
    }
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("30.00")
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert OrderEvent.objects.filter(order=order, to_status="partially_refunded").count() == 1
