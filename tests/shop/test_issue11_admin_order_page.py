"""Issue 11, items 10, 11, 12 and 14 in the admin: shipping and refunding from the order's own page, each
page checking its own permission; packing slips as GET pages; money as "59.00 USD", statuses by their
labels and times with their zone; the CSV with the shipping address and the paid-at time."""

import csv
import io
import re
from datetime import UTC
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from payments.events import process_stripe_event
from shop.models import Order, OrderEvent, Refund
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/shop/order/"
SPRINGFIELD = {"line1": "400 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    return user


def page(order: Order, view: str) -> str:
    return f"{CHANGELIST}{order.pk}/{view}/"


@pytest.fixture
def paid_order(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    return Order.objects.get(pk=result.order.pk)


@pytest.mark.parametrize(
    "codenames, allowed",
    [
        ((), set()),
        (("view_order",), {"packing-slip"}),
        (("view_order", "change_order"), {"packing-slip", "ship"}),
        (("view_order", "refund_order"), {"packing-slip", "refund"}),
        (("refund_order",), set()),  # refunds what it cannot even see: no
    ],
)
def test_issue11_item11_each_order_page_checks_its_own_permission(client, paid_order, stripe_api, codenames, allowed):
    client.force_login(staff("someone", *codenames))
    if "view_order" in codenames:  # the change page offers exactly the buttons the user may use
        html = client.get(page(paid_order, "change")).content.decode()
        assert ('id="ship-order"' in html) == ("ship" in allowed)
        assert ('id="refund-order"' in html) == ("refund" in allowed)
        assert 'id="packing-slip"' in html
    for view in ("ship", "refund", "packing-slip"):
        expected = 200 if view in allowed else 403
        assert client.get(page(paid_order, view)).status_code == expected, view
    posts = {"ship": {"carrier": "UPS", "tracking_number": "1Z9"}, "refund": {"amount": "5.00", "reason": "duplicate"}}
    for view, data in posts.items():
        response = client.post(page(paid_order, view), data)
        assert response.status_code == (302 if view in allowed else 403), view
    order = Order.objects.get(pk=paid_order.pk)
    assert (order.status == Order.Status.SHIPPED) == ("ship" in allowed)
    assert Refund.objects.filter(order=order).exists() == ("refund" in allowed)
    assert len(stripe_api.refunds) == ("refund" in allowed)


def test_issue11_item11_a_logged_out_visitor_is_sent_to_the_login_page_and_changes_nothing(client, paid_order):
    for view in ("ship", "refund", "packing-slip"):
        response = client.post(page(paid_order, view), {"amount": "5.00", "carrier": "UPS", "tracking_number": "1"})
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), view
    assert Order.objects.get(pk=paid_order.pk).status == Order.Status.PAID


def test_issue11_item11_the_forms_are_csrf_protected(paid_order, stripe_api):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff("manager", "view_order", "change_order", "refund_order"))
    assert client.post(page(paid_order, "ship"), {"carrier": "UPS", "tracking_number": "1Z9"}).status_code == 403
    assert client.post(page(paid_order, "refund"), {"amount": "5.00"}).status_code == 403
    assert Order.objects.get(pk=paid_order.pk).status == Order.Status.PAID
    assert stripe_api.refunds == {}


def test_issue11_item11_an_empty_amount_refunds_nothing(client, paid_order, stripe_api):
    client.force_login(staff("manager", "view_order", "refund_order"))
    response = client.post(page(paid_order, "refund"), {"amount": "", "reason": "requested_by_customer"})
    assert response.status_code == 200
    assert "Enter the amount to refund: nothing is refunded without one." in response.content.decode()
    assert stripe_api.refunds == {} and not Refund.objects.exists()


def test_issue11_item11_a_refund_stripe_refuses_keeps_the_form_and_says_why(client, paid_order, stripe_api):
    # Refunded in full in the dashboard, and the webhook has not arrived: Stripe refuses a second refund.
    stripe_api.refund(paid_order.payment_intent_id, None, send_webhook=False)
    client.force_login(staff("manager", "view_order", "refund_order"))
    response = client.post(
        page(paid_order, "refund"), {"amount": "20.00", "reason": "duplicate", "note": "Box crushed"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stripe refused the refund" in html
    assert 'value="20.00"' in html and "Box crushed</textarea>" in html
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "status, view",
    [(Order.Status.PENDING_PAYMENT, "ship"), (Order.Status.SHIPPED, "ship"), (Order.Status.PENDING_PAYMENT, "refund")],
)
def test_issue11_item11_an_order_that_cannot_be_shipped_or_refunded_says_so(client, status, view):
    order = OrderFactory(status=status)
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    response = client.get(page(order, view), follow=True)
    assert response.redirect_chain[-1][0] == page(order, "change")
    assert (
        "only a paid order can be shipped" in response.content.decode()
        or "nothing to refund" in response.content.decode()
    )


@pytest.mark.parametrize("path", ["999999/ship/", "abc/refund/", "0x1/packing-slip/", "999999/packing-slip/"])
def test_issue11_item11_an_unknown_order_is_a_404_not_a_500(client, path):
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    assert client.get(CHANGELIST + path).status_code == 404


def test_issue11_item11_bulk_ship_and_refund_lead_to_one_order_page(client, paid_order, foosfoot):
    other = checkout(foosfoot, email="lee@example.com").order
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    for name in ("mark_shipped", "refund_orders"):
        response = client.post(CHANGELIST, {"action": name, "_selected_action": [paid_order.pk, other.pk]}, follow=True)
        assert "one order at a time, from its own page" in response.content.decode()
    assert Order.objects.get(pk=paid_order.pk).status == Order.Status.PAID


def test_issue11_item10_the_packing_slips_are_get_pages_of_their_own(client, paid_order, foosfoot):
    other = checkout(foosfoot, email="lee@example.com").order
    client.force_login(staff("clerk", "view_order"))
    response = client.post(CHANGELIST, {"action": "packing_slip", "_selected_action": [other.pk, paid_order.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}packing-slips/?ids={paid_order.pk},{other.pk}"
    html = client.get(response["Location"]).content.decode()
    assert html.index(paid_order.number) < html.index(other.number)  # oldest first
    assert "<style" not in html and "style=" not in html and "onclick" not in html
    assert "/static/admin/shop/packing-slip" in html and "/static/admin/shop/print" in html
    assert client.post(response["Location"]).status_code == 405  # a reload never posts again


@pytest.mark.parametrize("ids", ["", "1,,2", "abc", "1;2", ",".join(["1"] * 201), "9" * 13])
def test_issue11_item10_a_bad_selection_is_a_friendly_400(client, ids):
    client.force_login(staff("clerk", "view_order"))
    response = client.get(f"{CHANGELIST}packing-slips/", {"ids": ids})
    assert response.status_code == 400
    assert "Choose between 1 and 200 orders" in response.content.decode()


def test_issue11_item10_an_unknown_selection_is_a_404(client):
    client.force_login(staff("clerk", "view_order"))
    assert client.get(f"{CHANGELIST}packing-slips/", {"ids": "999998,999999"}).status_code == 404


def test_issue11_item6_the_packing_slip_and_the_admin_write_a_us_address_the_us_way(client):
    order = OrderFactory(status=Order.Status.PAID, customer_name="Dana Walker", shipping_address=SPRINGFIELD)
    client.force_login(staff("clerk", "view_order"))
    slip = client.get(page(order, "packing-slip")).content.decode()
    assert "Dana Walker<br>400 Main St<br>Springfield, IL 62701<br>United States</address>" in slip
    change = client.get(page(order, "change")).content.decode()
    assert "400 Main St<br>Springfield, IL 62701<br>United States" in change
    assert "62701 Springfield" not in slip + change


def test_issue11_items11_and_12_money_statuses_and_times_read_the_same_everywhere(
    client, paid_order, stripe_api, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "America/Chicago"
    stripe_api.refund(paid_order.payment_intent_id, 2000, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(paid_order.payment_intent_id)["latest_charge"])
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("charge.refunded", charge))
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    listing = client.get(CHANGELIST).content.decode()
    assert "59.00 USD" in listing
    assert " CST</td>" in listing or " CDT</td>" in listing
    html = client.get(page(paid_order, "change")).content.decode()
    assert html.count("59.00 USD") >= 2  # the total and the line
    assert "20.00 USD" in html  # refunded, the refund's row, the refund email's row
    assert "Pending payment → Paid" in html
    assert "Paid → Partially refunded" in html
    assert "pending_payment" not in html.replace('value="pending_payment"', "")
    assert html.count(" CST") + html.count(" CDT") >= 4  # created, paid, events, refund, emails


def test_issue11_item13_the_order_list_shows_what_staff_scan_for(client, paid_order):
    client.force_login(staff("clerk", "view_order"))
    html = client.get(CHANGELIST).content.decode()
    columns = re.findall(r'<th scope="col" class="[^"]*column-([a-z_]+)', html)
    assert columns == ["number", "created_at_zoned", "email", "status", "total_display", "needs_attention", "shipped"]


def test_issue11_item14_the_csv_has_the_shipping_address_and_paid_at_in_utc(client, paid_order):
    Order.objects.filter(pk=paid_order.pk).update(shipping_address={**SPRINGFIELD, "line1": "=HYPERLINK(1)"})
    client.force_login(staff("clerk", "view_order"))
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [paid_order.pk]})
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    order = Order.objects.get(pk=paid_order.pk)
    assert row["paid_at"] == order.paid_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["created_at"] == order.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row["shipping_address"] == "'=HYPERLINK(1), Springfield, IL 62701, United States"  # guarded
    assert (row["shipping_postal_code"], row["shipping_country"]) == ("62701", "US")
    assert (row["total"], row["refunded"], row["status"]) == ("59.00", "0.00", "paid")


def test_issue11_item14_an_unpaid_order_has_an_empty_paid_at(client):
    order = OrderFactory()
    OrderLineFactory(order=order, product=ProductFactory(sku="-SKU"), quantity=2)
    client.force_login(staff("clerk", "view_order"))
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [order.pk]})
    [row] = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert (row["paid_at"], row["shipping_address"], row["lines"]) == ("", "", "2 x -SKU")


@pytest.mark.parametrize("count", [3, 30])
def test_issue11_the_order_pages_query_counts_are_constant(client, django_assert_max_num_queries, count):
    orders = []
    for _ in range(count):
        order = OrderFactory(
            status=Order.Status.PAID, total=Decimal("30.00"), shipping_address=SPRINGFIELD, payment_intent_id="pi_1"
        )
        for _ in range(3):
            OrderLineFactory(order=order, product=ProductFactory(), unit_price=Decimal("10.00"))
        OrderEvent.objects.create(order=order, kind="transition", from_status="pending_payment", to_status="paid")
        Refund.objects.create(order=order, stripe_refund_id=f"re_{order.number}", amount=1, currency="USD", status="succeeded")  # fmt: skip
        orders.append(order)
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    for url, most in [
        (f"{CHANGELIST}packing-slips/?ids={','.join(str(o.pk) for o in orders)}", 6),
        (page(orders[0], "packing-slip"), 6),
        (page(orders[0], "ship"), 7),
        (page(orders[0], "refund"), 7),
    ]:
        with django_assert_max_num_queries(most):
            assert client.get(url).status_code == 200, url
