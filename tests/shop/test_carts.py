"""Cart services: the browser cart in the session, and forgetting stale carts."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from shop.carts import CartError, add_to_cart, delete_stale_carts, get_cart_for_session, set_line_quantity
from shop.models import Cart
from tests.factories import CartFactory, CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_session_cart_is_created_once_and_forgotten_after_checkout():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    assert get_cart_for_session(request) is None
    cart = get_cart_for_session(request, create=True)
    assert get_cart_for_session(request).pk == cart.pk
    Cart.objects.filter(pk=cart.pk).update(checked_out_at=timezone.now())
    assert get_cart_for_session(request) is None
    assert get_cart_for_session(request, create=True).pk != cart.pk


def test_quantity_limits_in_the_service():
    product = ProductFactory(stock=50)
    cart = CartFactory()
    add_to_cart(cart=cart, product=product, quantity=6)
    with pytest.raises(CartError) as error:
        add_to_cart(cart=cart, product=product, quantity=5)  # 11 on one line
    assert error.value.code == "quantity_limit"
    line = cart.lines.get()
    for bad in (0, -1, 11, 2.5, "3", True):
        with pytest.raises(CartError):
            set_line_quantity(line=line, quantity=bad)
    assert cart.lines.get().quantity == 6


def test_stale_carts_are_deleted():
    now = timezone.now()
    fresh = CartLineFactory().cart
    old_open = CartLineFactory().cart
    old_spent = CartFactory()
    Cart.objects.filter(pk=old_open.pk).update(updated_at=now - timedelta(days=31))
    Cart.objects.filter(pk=old_spent.pk).update(checked_out_at=now - timedelta(days=91))
    assert delete_stale_carts(now=now) == 2
    assert list(Cart.objects.values_list("pk", flat=True)) == [fresh.pk]
