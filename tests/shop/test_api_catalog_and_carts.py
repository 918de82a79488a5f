"""The catalog and cart endpoints: answers, bad input, and query counts that do not grow."""

from decimal import Decimal

import pytest

from shop.models import Cart, CartLine
from tests.factories import CartFactory, CartLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_product_list_shows_only_products_on_sale(api_client):
    ProductFactory(slug="foosfoot", name="FoosFoot", price=Decimal("59.00"), position=1)
    ProductFactory(slug="retired", is_active=False)
    response = api_client.get("/api/products/")
    assert response.status_code == 200
    slugs = [item["slug"] for item in response.json()["results"]]
    assert slugs == ["foosfoot"]
    item = response.json()["results"][0]
    assert item["price"] == "59.00"
    assert item["currency"] == "USD"
    assert item["image"]["alt"]


def test_product_detail_and_unknown_or_inactive_slug(api_client):
    ProductFactory(slug="foosfoot")
    ProductFactory(slug="retired", is_active=False)
    assert api_client.get("/api/products/foosfoot/").json()["slug"] == "foosfoot"
    for slug in ("retired", "nope"):
        response = api_client.get(f"/api/products/{slug}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("count", [1, 15])
def test_product_list_query_count_is_constant(api_client, django_assert_max_num_queries, count):
    products = ProductFactory.create_batch(count)
    with django_assert_max_num_queries(2):  # count + page
        response = api_client.get("/api/products/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == count
    with django_assert_max_num_queries(1):
        response = api_client.get(f"/api/products/{products[-1].slug}/")
    assert response.status_code == 200
    assert response.json()["slug"] == products[-1].slug


def test_cart_flow_prices_come_from_the_catalog(api_client):
    ProductFactory(slug="foosfoot", price=Decimal("59.00"), stock=5)
    token = api_client.post("/api/carts/").json()["token"]
    assert len(token) >= 32
    response = api_client.post(
        f"/api/carts/{token}/lines/", {"product": "foosfoot", "quantity": 2, "unit_price": "0.01"}, format="json"
    )
    assert response.status_code == 201
    cart = response.json()
    assert cart["total"] == "118.00"
    assert cart["lines"][0]["unit_price"] == "59.00"
    line_id = cart["lines"][0]["id"]
    response = api_client.patch(f"/api/carts/{token}/lines/{line_id}/", {"quantity": 3}, format="json")
    assert response.status_code == 200
    assert response.json()["item_count"] == 3
    # Adding again adds to the same line.
    response = api_client.post(f"/api/carts/{token}/lines/", {"product": "foosfoot", "quantity": 1}, format="json")
    assert [line["quantity"] for line in response.json()["lines"]] == [4]
    response = api_client.delete(f"/api/carts/{token}/lines/{line_id}/")
    assert response.status_code == 200
    assert response.json()["lines"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"product": "foosfoot", "quantity": 0}, "validation_error"),
        ({"product": "foosfoot", "quantity": -1}, "validation_error"),
        ({"product": "foosfoot", "quantity": 1.5}, "validation_error"),
        ({"product": "foosfoot", "quantity": "two"}, "validation_error"),
        ({"product": "foosfoot", "quantity": True}, "validation_error"),
        ({"product": "foosfoot", "quantity": 11}, "validation_error"),  # above the line limit
        ({"product": "foosfoot", "quantity": 4}, "out_of_stock"),  # above stock (3)
        ({"product": "no-such-thing", "quantity": 1}, "unknown_product"),
        ({"product": "retired", "quantity": 1}, "product_unavailable"),
        ({"product": "../../etc", "quantity": 1}, "validation_error"),
        ({"quantity": 1}, "validation_error"),
        ([1, 2, 3], "validation_error"),
    ],
)
def test_bad_cart_lines_are_refused_and_change_nothing(api_client, body, code):
    ProductFactory(slug="foosfoot", stock=3)
    ProductFactory(slug="retired", is_active=False)
    cart = CartFactory()
    response = api_client.post(f"/api/carts/{cart.token}/lines/", body, format="json")
    assert 400 <= response.status_code < 500
    data = response.json()
    assert data["code"] == code
    assert data["message"]
    assert not CartLine.objects.exists()


def test_patch_bad_quantities_change_nothing(api_client):
    line = CartLineFactory(quantity=2, product__stock=5)
    url = f"/api/carts/{line.cart.token}/lines/{line.pk}/"
    for body in ({"quantity": 0}, {"quantity": -3}, {"quantity": "x"}, {"quantity": 6}, {"quantity": 11}, {}):
        response = api_client.patch(url, body, format="json")
        assert 400 <= response.status_code < 500, body
        assert set(response.json()) >= {"code", "message"}
    line.refresh_from_db()
    assert line.quantity == 2


def test_malformed_json_and_unknown_tokens(api_client):
    ProductFactory(slug="foosfoot")
    cart = CartFactory()
    response = api_client.post(f"/api/carts/{cart.token}/lines/", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    for url in ("/api/carts/nope/", "/api/orders/nope/", f"/api/carts/{cart.token}/lines/999999/"):
        response = api_client.get(url) if "lines" not in url else api_client.delete(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    response = api_client.post("/api/carts/nope/lines/", {"product": "foosfoot", "quantity": 1}, format="json")
    assert response.status_code == 404
    assert Cart.objects.count() == 1


@pytest.mark.parametrize("lines", [1, 12])
def test_cart_endpoints_query_count_is_constant(api_client, django_assert_max_num_queries, lines):
    cart = CartFactory()
    for _ in range(lines):
        CartLineFactory(cart=cart)
    extra = ProductFactory(slug="extra")
    first = cart.lines.first()
    # Bounds below the larger cart's line count: one query per line would not fit.
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/api/carts/{cart.token}/")
    assert response.status_code == 200
    assert len(response.json()["lines"]) == lines
    with django_assert_max_num_queries(11):
        response = api_client.post(f"/api/carts/{cart.token}/lines/", {"product": extra.slug}, format="json")
    assert response.status_code == 201
    assert len(response.json()["lines"]) == lines + 1
    url = f"/api/carts/{cart.token}/lines/{first.pk}/"
    with django_assert_max_num_queries(12):
        response = api_client.patch(url, {"quantity": 2}, format="json")
    assert response.status_code == 200
    with django_assert_max_num_queries(11):
        response = api_client.delete(url)
    assert response.status_code == 200
    assert len(response.json()["lines"]) == lines
