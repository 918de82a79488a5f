"""Cart services: the browser cart in the session, and forgetting stale carts."""

from datetime import timedelta
from decimal import Decimal

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


def test_a_cart_holds_one_currency():
    dollars = ProductFactory(currency="USD", price=Decimal("59.00"))
    yen = ProductFactory(currency="JPY", price=Decimal("1500"), name="Yen thing")
    cart = CartFactory()
    add_to_cart(cart=cart, product=dollars, quantity=1)
    with pytest.raises(CartError) as refused:
        add_to_cart(cart=cart, product=yen, quantity=1)
    assert refused.value.code == "mixed_currencies"
    assert "JPY" in refused.value.message and "USD" in refused.value.message
    assert list(cart.lines.values_list("product_id", flat=True)) == [dollars.pk]
    add_to_cart(cart=cart, product=dollars, quantity=2)  # more of the same currency is fine
    assert cart.lines.get().quantity == 3


def test_the_api_refuses_a_second_currency_with_409(api_client):
    ProductFactory(slug="dollars", currency="USD")
    ProductFactory(slug="yen", currency="JPY", price=Decimal("1500"))
    token = api_client.post("/api/carts/").json()["token"]
    assert api_client.post(f"/api/carts/{token}/lines/", {"product": "dollars"}, format="json").status_code == 201
    response = api_client.post(f"/api/carts/{token}/lines/", {"product": "yen"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "mixed_currencies"
    cart = api_client.get(f"/api/carts/{token}/").json()
    assert (cart["currency"], cart["total"], len(cart["lines"])) == ("USD", "49.00", 1)
