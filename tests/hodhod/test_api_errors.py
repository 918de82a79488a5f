"""The one JSON error shape, for routing errors and malformed bodies alike."""

import pytest


@pytest.mark.django_db
def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
    assert response.json()["message"]


@pytest.mark.django_db
def test_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_wrong_method_on_a_page_is_a_friendly_405(client):
    response = client.delete("/cart/")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert b"cannot be done on this page" in response.content


@pytest.mark.django_db
def test_wrong_method_on_the_api_stays_json(client):
    response = client.delete("/api/products/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
