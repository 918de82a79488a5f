"""`make run` serves the demo with DEBUG on, where Django answers an address no route matches (and a Host
it refuses) with its technical HTML page instead of calling handler404/handler400. Found by the outside
probe of 2026-11-30: on the demo, `/api/carts/short/`, `/api/orders/<bad>/` or `/api/nope/` answered HTML,
while the contract says every 4xx of the API is the one JSON error shape."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/carts/short/", "/api/carts/x/lines/abc/"])
def test_unknown_api_address_is_the_json_error_shape_with_debug_on(client, settings, path):
    settings.DEBUG = True
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
    assert response.json()["message"]


def test_refused_host_on_the_api_is_the_json_error_shape_with_debug_on(client, settings):
    settings.DEBUG = True
    response = client.get("/api/products/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert b"Traceback" not in response.content and b"SECRET_KEY" not in response.content


def test_pages_keep_django_s_debug_page(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
