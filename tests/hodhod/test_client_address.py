"""Which address a request comes from, for the API's limits and the admin's sign-in limit alike.

With no proxy configured (NUM_PROXIES unset), X-Forwarded-For is whatever the client wrote: a
limit keyed on it is dodged by changing the header on every request.
"""

import pytest
from django.test import RequestFactory
from rest_framework.throttling import BaseThrottle

from hodhod.admin_login import client_address


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/api/carts/", REMOTE_ADDR=remote, **headers)


def test_without_proxies_a_forged_forwarded_for_is_ignored_by_the_api_limits(settings):
    assert settings.NUM_PROXIES == 0
    for forged in ("1.2.3.4", "5.6.7.8", "9.9.9.9, 8.8.8.8"):
        request = request_from("203.0.113.9", forged)
        assert BaseThrottle().get_ident(request) == "203.0.113.9"
        assert client_address(request) == "203.0.113.9"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.2"),
        (1, None, "10.0.0.2"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client wrote the first entry
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),  # fewer entries than proxies: the first
    ],
)
def test_behind_proxies_the_address_the_nearest_proxy_saw(settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies
    assert client_address(request_from("10.0.0.2", forwarded)) == expected
