"""Query counts of the order pages and the staff order list do not grow with the rows they show."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop.models import Order, OrderEvent, Refund
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def order_with_lines(count: int, **fields) -> Order:
    order = OrderFactory(status=Order.Status.PAID, total=Decimal("10.00") * count, **fields)
    for _ in range(count):
        OrderLineFactory(order=order, product=ProductFactory(), unit_price=Decimal("10.00"), quantity=1)
    for status in ("paid", "shipped"):
        OrderEvent.objects.create(order=order, kind="transition", to_status=status, actor="system")
    Refund.objects.create(
        order=order, stripe_refund_id=f"re_{order.number}", amount=Decimal("1.00"), currency="USD", status="succeeded"
    )
    return order


@pytest.mark.parametrize("lines", [3, 30])
def test_order_api_query_count_is_constant(api_client, django_assert_max_num_queries, lines):
    order = order_with_lines(lines)
    with django_assert_max_num_queries(2):
        response = api_client.get(f"/api/orders/{order.token}/")
    assert response.status_code == 200
    assert len(response.json()["lines"]) == lines


@pytest.mark.parametrize("lines", [3, 30])
def test_order_status_page_query_count_is_constant(client, django_assert_max_num_queries, lines):
    order = order_with_lines(lines)
    # The order, its lines, its history and its refunds (issue 11, item 4): 4, plus 1 when the footer's
    # cached list of site pages is cold (content/footer.py; 0 when warm).
    with django_assert_max_num_queries(5):
        response = client.get(f"/orders/{order.token}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert all(line.product_name in body for line in order.lines.all())
    assert 'id="refunded-total"' in body


@pytest.mark.parametrize("orders", [3, 30])
def test_admin_order_changelist_query_count_is_constant(client, django_assert_max_num_queries, orders):
    for _ in range(orders):
        order_with_lines(3)
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))
    with django_assert_max_num_queries(8):
        response = client.get("/admin/shop/order/")
    assert response.status_code == 200
    assert response.content.decode().count("HH-T") >= orders


@pytest.mark.parametrize("lines", [3, 30])
def test_admin_order_change_page_query_count_is_constant(client, django_assert_max_num_queries, lines):
    order = order_with_lines(lines)
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))
    with django_assert_max_num_queries(8):
        response = client.get(f"/admin/shop/order/{order.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert all(line.product_name in body for line in order.lines.all())


@pytest.mark.parametrize("lines", [3, 30])
def test_cart_page_query_count_is_constant(client, django_assert_max_num_queries, lines):
    products = [ProductFactory() for _ in range(lines)]
    for product in products:
        assert client.post(f"/shop/{product.slug}/", {"quantity": 1}).status_code in (302, 303)
    # 3, plus 1 when the footer's cached list of site pages is cold (content/footer.py; 0 when warm).
    with django_assert_max_num_queries(4):
        response = client.get("/cart/")
    assert response.status_code == 200
    body = response.content.decode()
    assert all(product.name in body for product in products)
