"""The buyer's side of the journey in Chromium (issue 11): buy → the welcome email (through a real Celery
worker) → the manage page on the customer's own clock → lesson 1 at their local hour → a staff refund
from the order page → the refund email. Screenshots per step under test-results/.
"""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from programs.dispatch import deliver, dispatch_due_deliveries
from programs.models import Delivery, Enrollment, Program, Step
from shop.models import Order
from tests.factories import ProductFactory

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "a-long-staff-password-for-tests"
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def foosfoot(transactional_db):
    product = ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("59.00"), stock=5)
    program = Program.objects.create(name="Foundations", slug="foundations", send_hour=8)
    program.granted_by.add(product)
    Step.objects.create(program=program, day=0, subject="Day 1: wake your feet up", body="Ten **heel** raises.")
    Step.objects.create(program=program, day=1, subject="Day 2: toes down", body="Ten toe presses.")
    return product


def _text(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


def _link(message, pattern: str) -> str:
    match = re.search(pattern, message.get_body(("plain",)).get_content())
    assert match, f"no link matching {pattern!r}"
    return match.group(0)


def _send_lesson_one(enrollment: Enrollment) -> Delivery:
    """One dispatch pass at the first lesson's due time, sent in-process (what beat + a worker do)."""
    first = enrollment.deliveries.select_related("step").order_by("due_at").first()
    dispatch_due_deliveries(
        now=first.due_at, enqueue=lambda ids: [deliver(delivery_id=i, final_attempt=True) for i in ids]
    )
    first.refresh_from_db()
    return first


def test_issue11_buy_welcome_lesson_on_the_customers_clock_then_refund_email(
    page_recorder, live_server, stripe_webhooks_to_live_server, mailbox, celery_worker, site_url, foosfoot
):
    page, step = page_recorder.page, page_recorder.step
    emulator = stripe_webhooks_to_live_server

    # Buy: the product page says the program comes with it.
    page.goto("/shop/foosfoot/")
    assert "Foundations" in page.content()
    step("product names the program")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/checkout/success/**")
    page.get_by_text("Thank you, your order is confirmed").wait_for()
    assert "Foundations" in page.content()
    step("success names the program")
    emulator.wait_for_deliveries(timeout=10)
    order = Order.objects.get()
    assert order.status == Order.Status.PAID

    # The confirmation, then the welcome sent by the worker with the manage link.
    messages = mailbox.wait_for(2, timeout=30)
    welcome = [m for m in messages if m["Subject"] == "Welcome to Foundations"]
    assert len(welcome) == 1, [m["Subject"] for m in messages]
    assert "because you bought" in _text(welcome[0])
    enrollment = Enrollment.objects.get(order=order)

    # The customer moves the lessons to 08:00 in Chicago; the page shows the next one on that clock.
    page.goto(_link(welcome[0], r"https?://\S+/programs/[^/\s]+/(?=\s|$)"))
    page.get_by_label("Local hour").select_option("8")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    next_lesson = page.locator("#next-lesson").inner_text()
    assert "08:00" in next_lesson and "America/Chicago" in next_lesson, next_lesson
    step("manage page on the customer's clock")

    # Lesson 1 goes at 08:00 Chicago time, as plain text without Markdown marks.
    enrollment.refresh_from_db()
    delivery = _send_lesson_one(enrollment)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.due_at.astimezone(CHICAGO).time() == dt.time(8, 0)
    lesson = [m for m in mailbox.wait_for(3) if m["Subject"] == "Day 1: wake your feet up"]
    assert len(lesson) == 1
    assert "**" not in _text(lesson[0]) and "Ten heel raises." in _text(lesson[0])

    # Staff refund part of it from the order page; the customer is told.
    get_user_model().objects.create_superuser("clerk", "clerk@hodhod.example", STAFF_PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/admin/shop/order/{order.pk}/change/")
    page.get_by_role("link", name="Refund").click()
    page.wait_for_url(f"**/admin/shop/order/{order.pk}/refund/")
    page.get_by_label("Amount (USD)").fill("9.00")
    page.get_by_label("Reason").select_option("requested_by_customer")
    step("refund form")
    page.get_by_role("button", name="Refund through Stripe").click()
    assert "Refunded 9.00 USD of order" in page.locator(".messagelist").inner_text()
    step("refunded")
    emulator.wait_for_deliveries(timeout=10)
    refund_mail = [m for m in mailbox.wait_for(4) if "refunded" in m["Subject"]]
    assert [m["Subject"] for m in refund_mail] == [f"Your Hod & Hod order {order.number}: 9.00 USD refunded"]
    assert "9.00" in _text(refund_mail[0])
    assert page_recorder.console_errors == []
