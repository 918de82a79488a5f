"""Checkout: cart → order with a price snapshot and reserved stock → a Stripe Checkout Session."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop.carts import add_to_cart, create_cart
from shop.checkout import create_checkout_session
from shop.models import Cart, Order, Product
from tests.factories import ProductFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db


def test_api_checkout_reserves_stock_and_opens_a_session(api_client, stripe_api, foosfoot):
    other = ProductFactory(price=Decimal("10.50"), stock=3)
    token = api_client.post("/api/carts/").json()["token"]
    api_client.post(f"/api/carts/{token}/lines/", {"product": "foosfoot", "quantity": 2}, format="json")
    api_client.post(f"/api/carts/{token}/lines/", {"product": other.slug, "quantity": 1}, format="json")

    response = api_client.post(f"/api/carts/{token}/checkout/", {"email": "dana@example.com"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["checkout_url"].startswith(stripe_api.base_url)
    assert body["order"]["status"] == "pending_payment"
    assert body["order"]["total"] == "128.50"
    assert len(body["order"]["token"]) >= 32
    assert body["order"]["number"].startswith("HH-")
    assert [line["quantity"] for line in body["order"]["lines"]] == [2, 1]
    session = stripe_api.session(body["checkout_session_id"])
    assert session["amount_total"] == 12850
    assert session["currency"] == "usd"
    assert session["client_reference_id"] == body["order"]["number"]
    assert session["customer_email"] == "dana@example.com"
    assert 29 * 60 < session["expires_at"] - stripe_api.now() <= 32 * 60
    foosfoot.refresh_from_db()
    other.refresh_from_db()
    assert (foosfoot.stock, other.stock) == (8, 2)
    order = Order.objects.get(number=body["order"]["number"])
    assert order.checkout_session_id == body["checkout_session_id"]
    assert order.events.get().kind == "created"
    # The cart is spent: a second checkout is refused and changes nothing.
    again = api_client.post(f"/api/carts/{token}/checkout/", {"email": "dana@example.com"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "cart_checked_out"
    assert Order.objects.count() == 1


def test_price_snapshot_survives_a_catalog_change(stripe_api, foosfoot):
    result = checkout(foosfoot)
    Product.objects.filter(pk=foosfoot.pk).update(price=Decimal("99.00"))
    line = result.order.lines.get()
    assert line.unit_price == Decimal("59.00")
    assert line.product_name == "FoosFoot"


def test_retried_session_creation_returns_the_same_session(stripe_api, foosfoot, monkeypatch):
    result = checkout(foosfoot)
    later = timezone.now() + timedelta(seconds=20)  # the retry comes a little later: same parameters all the same
    monkeypatch.setattr(timezone, "now", lambda: later)
    again = create_checkout_session(order=result.order)
    assert again.id == result.session_id
    assert len(stripe_api.sessions) == 1


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({}, "validation_error", 400),
        ({"email": ""}, "validation_error", 400),
        ({"email": "not-an-email"}, "validation_error", 400),
        ({"email": "a@b"}, "validation_error", 400),
        ({"email": ["x@example.com"]}, "validation_error", 400),
    ],
)
def test_bad_emails_are_refused_and_change_nothing(api_client, stripe_api, foosfoot, body, code, status):
    cart = create_cart()
    add_to_cart(cart=cart, product=foosfoot, quantity=1)
    response = api_client.post(f"/api/carts/{cart.token}/checkout/", body, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert not Order.objects.exists()
    foosfoot.refresh_from_db()
    assert foosfoot.stock == 10
    assert Cart.objects.get().is_open


def test_empty_cart_unknown_cart_and_sold_out(api_client, stripe_api, foosfoot):
    cart = create_cart()
    response = api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "empty_cart"
    response = api_client.post("/api/carts/missing/checkout/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 404
    add_to_cart(cart=cart, product=foosfoot, quantity=3)
    Product.objects.filter(pk=foosfoot.pk).update(stock=2)
    response = api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    Product.objects.filter(pk=foosfoot.pk).update(stock=5, is_active=False)
    response = api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "product_unavailable"
    assert not Order.objects.exists()
    assert stripe_api.sessions == {}


def test_stripe_down_releases_the_stock_and_reopens_the_cart(api_client, stripe_api, foosfoot):
    cart = create_cart()
    add_to_cart(cart=cart, product=foosfoot, quantity=2)
    stripe_api.fail_next("POST", "/v1/checkout/sessions", status=500, times=10)
    response = api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": "x@example.com"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "payment_unavailable"
    foosfoot.refresh_from_db()
    assert foosfoot.stock == 10
    assert Order.objects.get().status == Order.Status.CANCELLED
    cart.refresh_from_db()
    assert cart.is_open
