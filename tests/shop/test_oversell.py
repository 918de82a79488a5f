"""Oversell: forty buyers, ten units, forty threads with their own database connections."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from shop.carts import add_to_cart, create_cart
from shop.checkout import start_checkout
from shop.models import Order, Product
from shop.orders import CheckoutError
from tests.factories import ProductFactory
from tests.shop.conftest import post_event

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 40
STOCK = 10


def test_forty_concurrent_checkouts_reserve_exactly_the_stock(client, stripe_api):
    product = ProductFactory(slug="foosfoot", price=Decimal("59.00"), stock=STOCK)
    other = ProductFactory(slug="two-pack", price=Decimal("109.00"), stock=100)
    carts = []
    for i in range(BUYERS):
        cart = create_cart()
        # Half the carts also hold a second product, added first: locks must still be taken in pk order.
        if i % 2:
            add_to_cart(cart=cart, product=other, quantity=1)
        add_to_cart(cart=cart, product=product, quantity=1)
        carts.append(cart)

    barrier = threading.Barrier(BUYERS)
    results: list[object] = []
    lock = threading.Lock()

    def buy(cart):
        try:
            barrier.wait(timeout=30)
            try:
                outcome = start_checkout(cart=cart, email="buyer@example.com")
            except CheckoutError as error:
                outcome = error
            with lock:
                results.append(outcome)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=buy, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(results) == BUYERS
    refused = [r for r in results if isinstance(r, CheckoutError)]
    sold = [r for r in results if not isinstance(r, CheckoutError)]
    assert len(sold) == STOCK
    assert {error.code for error in refused} == {"out_of_stock"}
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT).count() == STOCK
    assert Product.objects.get(pk=other.pk).stock == 100 - sum(
        1 for r in sold if r.order.lines.filter(product=other).exists()
    )
    assert len(stripe_api.sessions) == STOCK

    # The sessions expire: every reserved unit comes back, once, even when Stripe repeats itself.
    for result in sold:
        session = stripe_api.expire_session(result.session_id, send_webhook=False)
        event = stripe_api.build_event("checkout.session.expired", session)
        assert post_event(client, stripe_api, event).status_code == 200
        assert post_event(client, stripe_api, event).status_code == 200
    assert Product.objects.get(pk=product.pk).stock == STOCK
    assert Product.objects.get(pk=other.pk).stock == 100
    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == STOCK
