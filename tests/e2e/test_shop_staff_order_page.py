"""A staff member ships a paid order and refunds part of it from the order's own page, in Chromium,
against the live server, the Stripe emulator (its webhooks to the live server) and a real SMTP sink;
the customer's refund email arrives (issue 11, items 4 and 11). Screenshots per step under
test-results/test_shop_staff_order_page-*/.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User

from shop.models import Order, OrderEmail, Refund
from tests.factories import ProductFactory

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-staff-password-for-tests"


@pytest.fixture
def manager(transactional_db) -> User:
    """Staff who may ship and refund, and nothing else of the admin."""
    user = User.objects.create_user("manager", "manager@hodhod.example", PASSWORD, is_staff=True)
    codenames = ["view_order", "change_order", "refund_order", "view_orderline", "view_refund", "view_orderevent"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    return user


def pay_in_the_browser(page, emulator, live_server) -> Order:
    ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("59.00"), stock=5)
    page.goto("/shop/foosfoot/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/checkout/success/**")
    page.get_by_text("Thank you, your order is confirmed").wait_for()
    emulator.wait_for_deliveries(timeout=10)
    return Order.objects.get()


def test_issue11_staff_ship_and_partly_refund_from_the_order_page_and_the_customer_is_emailed(
    page_recorder, live_server, stripe_webhooks_to_live_server, mailbox, site_url, manager
):
    page, step = page_recorder.page, page_recorder.step
    emulator = stripe_webhooks_to_live_server
    order = pay_in_the_browser(page, emulator, live_server)
    assert order.status == Order.Status.PAID
    mailbox.wait_for(1)  # the confirmation

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/admin/shop/order/{order.pk}/change/")
    assert "59.00 USD" in page.locator("fieldset").nth(1).inner_text()
    step("order page")

    # Ship: a GET form of its own, which POSTs back.
    page.get_by_role("link", name="Mark shipped").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/ship/")
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    step("ship form")
    page.get_by_role("button", name="Mark shipped and email the customer").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/change/")
    assert "is marked shipped" in page.locator(".messagelist").inner_text()
    assert page.get_by_role("link", name="Mark shipped").count() == 0  # shipped: no second shipment
    step("shipped")

    # Refund part: a wrong amount first, which keeps the form as typed.
    page.get_by_role("link", name="Refund").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/refund/")
    page.get_by_label("Amount (USD)").fill("80.00")
    page.get_by_label("Reason").select_option("requested_by_customer")
    page.get_by_label("Note").fill("One strap was missing.")
    page.get_by_role("button", name="Refund through Stripe").click()
    assert "Refund between 0.01 and 59.00 USD." in page.locator(".errorlist").inner_text()
    assert page.get_by_label("Note").input_value() == "One strap was missing."
    step("refund refused")
    page.get_by_label("Amount (USD)").fill("20.00")
    page.get_by_role("button", name="Refund through Stripe").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/change/")
    assert "Refunded 20.00 USD of order" in page.locator(".messagelist").inner_text()
    emulator.wait_for_deliveries(timeout=10)  # Stripe's charge.refunded for it adds nothing
    page.reload()
    refunds = page.locator("#refunds-group").inner_text()
    assert "20.00 USD" in refunds
    assert re.search(r"Shipped → Partially refunded", page.locator("#events-group").inner_text())
    step("refunded")

    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert Refund.objects.get(order=order).amount == Decimal("20.00")
    # Confirmation, shipped, refund: the refund email once, whatever Stripe sent back.
    messages = mailbox.wait_for(3)
    refund_mail = [m for m in messages if "refunded" in m["Subject"]]
    assert [m["Subject"] for m in refund_mail] == [f"Your Hod & Hod order {order.number}: 20.00 USD refunded"]
    text = " ".join(refund_mail[0].get_body(("plain",)).get_content().split())
    assert "You have paid for this order: 39.00 USD" in text and "5–10 business days" in text
    assert OrderEmail.objects.get(order=order, kind="refund").sent_at is not None

    # The customer's order page shows the refund.
    page.goto(f"/orders/{order.token}/")
    assert "20.00" in page.locator("#refunded-total").inner_text()
    step("customer order page")
    assert page_recorder.console_errors == []
