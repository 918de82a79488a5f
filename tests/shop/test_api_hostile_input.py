"""Hostile input never produces a 5xx: odd tokens, ids out of range, odd bodies."""

import pytest

from tests.factories import CartFactory, CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/carts/abc%00def/",
        "/api/orders/abc%00def/",
        "/api/carts/" + "x" * 5000 + "/",
        "/api/orders/%F0%9F%A6%B6/",
        "/api/products/%00/",
    ],
)
def test_odd_tokens_are_404(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_line_ids_out_of_range_are_404(api_client):
    line = CartLineFactory()
    for line_id in ("99999999999999999999999", "0"):
        url = f"/api/carts/{line.cart.token}/lines/{line_id}/"
        assert api_client.delete(url).status_code == 404
        assert api_client.patch(url, {"quantity": 1}, format="json").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"product": "foo\x00bar", "quantity": 1},
        {"product": "foosfoot", "quantity": 10**30},
        {"product": "foosfoot", "quantity": "1e3"},
        {"product": "foosfoot", "quantity": None},
        {"product": None, "quantity": 1},
        {"product": {"slug": "foosfoot"}, "quantity": 1},
        "just a string",
        None,
    ],
)
def test_odd_line_bodies_are_400(api_client, body):
    ProductFactory(slug="foosfoot")
    cart = CartFactory()
    response = api_client.post(f"/api/carts/{cart.token}/lines/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not cart.lines.exists()


@pytest.mark.parametrize("email", ["a\x00@example.com", "x" * 300 + "@example.com", 12, None])
def test_odd_checkout_emails_are_400(api_client, email):
    line = CartLineFactory()
    response = api_client.post(f"/api/carts/{line.cart.token}/checkout/", {"email": email}, format="json")
    assert response.status_code == 400


def test_form_encoded_body_is_415(api_client):
    cart = CartFactory()
    response = api_client.post(f"/api/carts/{cart.token}/lines/", {"product": "x", "quantity": "1"})
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
