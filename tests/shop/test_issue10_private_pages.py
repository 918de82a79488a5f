"""Issue 10, item 12: the pages a secret link opens are never kept by a browser or a shared cache."""

import pytest

from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db


def assert_not_cacheable(response) -> None:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, response.get("Cache-Control")


def test_issue10_item12_order_and_checkout_return_pages_are_private_and_not_stored(client, stripe_api, foosfoot):
    order = checkout(foosfoot).order
    pages = [
        f"/orders/{order.token}/",
        f"/checkout/success/?session_id={order.checkout_session_id}",
        "/checkout/success/?session_id=cs_test_nobody_has_this",
        "/checkout/success/",
        f"/checkout/cancel/?order={order.token}",
        "/checkout/cancel/",
        "/orders/" + "x" * 43 + "/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 404), page
        assert_not_cacheable(response)
