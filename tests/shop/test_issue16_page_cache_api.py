"""Issue 16: /api/products/ and a product's answer are cached JSON: stock fields at most 5 s old,
an edit at once, an ETag, the API's error shape, no query on a hit."""

import pytest

from shop.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def foosfoot(db):
    return ProductFactory(slug="foosfoot", name="FoosFoot", stock=10)


@pytest.mark.parametrize("url", ["/api/products/", "/api/products/foosfoot/"])
def test_issue16_a_cached_answer_costs_no_query(api_client, foosfoot, url, django_assert_num_queries):
    first = api_client.get(url)
    with django_assert_num_queries(0):
        again = api_client.get(url)
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Content-Type"] == "application/json"


def stock_of(api_client, url: str) -> int:
    body = api_client.get(url).json()
    return (body["results"][0] if "results" in body else body)["max_quantity"]


@pytest.mark.parametrize("url", ["/api/products/", "/api/products/foosfoot/"])
def test_issue16_stock_fields_are_at_most_five_seconds_old(api_client, foosfoot, url, stock_seconds_pass):
    assert stock_of(api_client, url) == 10
    Product.objects.filter(pk=foosfoot.pk).update(stock=0)  # sold out by checkouts: no signal
    assert stock_of(api_client, url) == 10  # the cached answer, younger than 5 s
    stock_seconds_pass()
    answer = api_client.get(url).json()
    assert (answer["results"][0] if "results" in answer else answer)["in_stock"] is False


def test_issue16_an_edit_shows_at_once_and_the_etag_follows_the_body(api_client, foosfoot):
    first = api_client.get("/api/products/")
    assert api_client.get("/api/products/", headers={"If-None-Match": first["ETag"]}).status_code == 304
    foosfoot.price = "61.00"
    foosfoot.save()
    changed = api_client.get("/api/products/", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed.json()["results"][0]["price"] == "61.00"
    assert changed["ETag"] != first["ETag"]
    ProductFactory(slug="second")
    assert [p["slug"] for p in api_client.get("/api/products/").json()["results"]] == ["foosfoot", "second"]


def test_issue16_errors_keep_the_api_shape_and_are_not_cached(api_client, foosfoot):
    missing = api_client.get("/api/products/nothing-here/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert api_client.get("/api/products/?page=9").json()["code"] == "not_found"
    ProductFactory(slug="nothing-here")
    assert api_client.get("/api/products/nothing-here/").status_code == 200
