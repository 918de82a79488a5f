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
