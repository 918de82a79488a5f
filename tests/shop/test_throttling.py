"""Cart creation and checkout are limited per client address, answered in the error shape."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle


@pytest.fixture
def low_limits(monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"carts": "3/minute", "checkout": "2/minute"})
    yield
    cache.clear()


@pytest.mark.django_db
def test_cart_creation_is_throttled_per_address(api_client, low_limits):
    answers = [api_client.post("/api/carts/", REMOTE_ADDR="203.0.113.7").status_code for _ in range(4)]
    assert answers == [201, 201, 201, 429]
    refused = api_client.post("/api/carts/", REMOTE_ADDR="203.0.113.7")
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    # Another customer is not affected.
    assert api_client.post("/api/carts/", REMOTE_ADDR="198.51.100.1").status_code == 201


@pytest.mark.django_db
def test_checkout_attempts_are_throttled(api_client, low_limits):
    token = api_client.post("/api/carts/", REMOTE_ADDR="203.0.113.8").json()["token"]
    codes = [
        api_client.post(
            f"/api/carts/{token}/checkout/", {"email": "x"}, format="json", REMOTE_ADDR="203.0.113.8"
        ).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
