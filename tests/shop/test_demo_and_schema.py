"""Demo catalog (idempotent) and the shop's part of the OpenAPI schema."""

import pytest
import yaml

from shop.demo import seed_demo
from shop.models import Product

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent(api_client):
    first = seed_demo()
    assert [line.split()[0] for line in first] == ["product"] * 2 + ["shipping"] * 5
    assert seed_demo() == []
    assert Product.objects.count() == 2
    slugs = [p["slug"] for p in api_client.get("/api/products/").json()["results"]]
    assert slugs == ["foosfoot", "foosfoot-two-pack"]
    for product in Product.objects.all():
        assert product.image_alt
        assert product.stock > 0


def test_schema_documents_the_shop_endpoints_and_their_errors(api_client):
    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    paths = schema["paths"]
    for path in (
        "/api/products/",
        "/api/products/{slug}/",
        "/api/carts/",
        "/api/carts/{token}/",
        "/api/carts/{token}/lines/",
        "/api/carts/{token}/lines/{line_id}/",
        "/api/carts/{token}/checkout/",
        "/api/orders/{token}/",
        "/api/shipping-rates/",
    ):
        assert path in paths, path
    checkout = paths["/api/carts/{token}/checkout/"]["post"]["responses"]
    assert {"201", "400", "404", "409"} <= set(checkout)
    assert checkout["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "400" in paths["/api/carts/{token}/lines/"]["post"]["responses"]
    rates = paths["/api/shipping-rates/"]["get"]
    assert {p["name"] for p in rates["parameters"]} == {"country", "subtotal", "currency"}
    assert rates["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    order = schema["components"]["schemas"]["Order"]["properties"]
    money = {"subtotal", "discount_total", "shipping_total", "tax_total", "total", "refunded_total"}
    assert money | {"currency", "promotion_code", "shipping_rate"} <= set(order)
