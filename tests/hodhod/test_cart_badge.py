"""The header's cart link shows the cart's count on every page, not only the shop's. Found by the outside
probe of 2026-11-30: with 1 item in the cart, the home, product, blog and FAQ pages said "Cart (1 item)"
while the membership, account, program and order pages said "Cart", as if it were empty."""

import pytest

from tests.factories import EnrollmentFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_pages_outside_the_shop_show_the_cart_count(client):
    product = ProductFactory()
    added = client.post(f"/shop/{product.slug}/", {"quantity": 2})
    assert added.status_code == 302
    pages = [
        "/membership/",
        "/account/",
        f"/programs/{EnrollmentFactory().token}/",
        f"/orders/{OrderFactory().token}/",
        "/no-such-page/",
    ]
    for page in pages:
        response = client.get(page)
        assert b'class="cart-count">(2<' in response.content, page


def test_a_visitor_without_a_cart_sees_no_count_and_gets_no_session(client):
    response = client.get("/membership/")
    assert response.status_code == 200
    assert b"cart-count" not in response.content
    assert "sessionid" not in response.cookies
