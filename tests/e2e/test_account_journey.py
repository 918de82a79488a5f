"""Issue 14 in a real browser (headless Chromium), against the live server, the Stripe emulator and a real SMTP
sink: buy → sign in by the emailed link → see the order and the lessons → stop all → download the data → erase
(refused while the order is being packed, done once it shipped).

Each step leaves a screenshot in test-results/test_account_journey-<test>/.
"""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.models import CustomerErasure
from core.models import Suppression
from programs.models import Enrollment, Program, Step
from shop.models import Order
from shop.staff import mark_shipped
from tests.factories import ProductFactory

pytestmark = pytest.mark.e2e
EMAIL = "Dana.Smith@Example.com"


@pytest.fixture
def catalog(db):
    cache.clear()  # the sign-in limits count in the (in-process) cache
    product = ProductFactory(
        name="FoosFoot", slug="foosfoot", price=Decimal("89.00"), stock=20, image_url="img/foosfoot.svg"
    )
    program = Program.objects.create(name="Stronger feet in 14 days", slug="stronger-feet", send_hour=8)
    program.granted_by.add(product)
    Step.objects.create(program=program, day=0, subject="Day 1: wake your feet up", body="Ten heel raises.")
    Step.objects.create(program=program, day=1, subject="Day 2: toes down", body="Ten toe presses.")
    return product


def link_in(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(pattern, text)
    assert match, f"no link matching {pattern!r} in:\n{text}"
    return match.group(0)


def buy(page, step, emulator, live_server) -> Order:
    page.goto("/shop/foosfoot/")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/checkout/success/**")
    page.get_by_text("Thank you, your order is confirmed").wait_for()
    step("bought")
    emulator.wait_for_deliveries(timeout=10)
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    return order


def sign_in(page, step, mailbox) -> None:
    page.get_by_role("link", name="Account").click()
    page.wait_for_url("**/account/")
    step("sign-in form")
    page.get_by_label("Email address").fill("dana.smith@example.com")  # another case than the order's
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_text("Check your email").wait_for()
    step("link sent")
    mail = [m for m in mailbox.wait_for(2) if m["Subject"] == "Your Hod & Hod sign-in link"]
    assert len(mail) == 1
    page.goto(link_in(mail[0], r"https?://\S+/account/sign-in/[A-Za-z0-9_-]+/"))
    step("link opened: a button")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/")
    page.get_by_text("You are signed in as dana.smith@example.com").wait_for()


def test_buy_sign_in_see_stop_all_export_and_erase(
    page_recorder, live_server, catalog, stripe_webhooks_to_live_server, mailbox, site_url
):
    page, step = page_recorder.page, page_recorder.step
    order = buy(page, step, stripe_webhooks_to_live_server, live_server)
    sign_in(page, step, mailbox)

    # The order and the lessons.
    assert page.locator(f"#order-{order.number}").get_by_text("Paid").is_visible()
    assert "89.00 USD" in page.locator(f"#order-{order.number}").inner_text()
    programs = page.locator("#programs")
    assert "Stronger feet in 14 days" in programs.inner_text()
    assert re.search(r"Next: “Day 1: wake your feet up”, \w+ \d+ \w+, 08:00 \(", programs.inner_text())
    step("account")

    # Stop all: every program, news and reminders, in one step.
    page.get_by_role("button", name="Stop all emails").click()
    page.get_by_text("Everything is stopped: 1 program unsubscribed").wait_for()
    assert Enrollment.objects.get().status == Enrollment.Status.UNSUBSCRIBED
    assert Suppression.objects.get().reason == Suppression.Reason.STOP_ALL
    step("stopped all")

    # The data, as a download.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [o["number"] for o in data["orders"]] == [order.number]
    assert data["enrollments"][0]["status"] == "unsubscribed"

    # Erase: refused while the order is being packed, then done once it shipped.
    page.get_by_role("link", name="Erase your data").click()
    page.wait_for_url("**/account/erase/")
    assert f"We are packing your order {order.number}" in page.locator("#erase-refused").inner_text()
    step("erase refused while packing")
    mark_shipped(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    page.reload()
    step("erase confirm")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Erase my data").click()
    page.get_by_role("heading", name="Your data is erased").wait_for()
    step("erased")

    erasure = CustomerErasure.objects.get()
    order.refresh_from_db()
    assert order.email == erasure.pseudonym and order.customer_name == ""
    confirmation = [m for m in mailbox.wait_for(3) if m["Subject"] == "Your Hod & Hod data has been erased"]
    assert [m["To"] for m in confirmation] == ["dana.smith@example.com"]

    # Signed out: the account is the sign-in form again.
    page.goto("/account/")
    page.get_by_role("button", name="Email me a sign-in link").wait_for()
    step("signed out")
    assert page_recorder.console_errors == []
