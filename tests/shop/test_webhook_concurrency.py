"""Two (or eight) deliveries of one event at the same moment cannot both apply it."""

import threading

import pytest
from django.core import mail
from django.db import connection

from shop.models import Order, OrderEvent, StripeEvent
from shop.services import process_stripe_event
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
