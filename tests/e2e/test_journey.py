"""The whole customer journey in a real browser (headless Chromium), against the live server,
the Stripe emulator (webhooks to the live server) and a real SMTP sink.

Each step leaves a screenshot in test-results/test_journey-<test>/; a failing step leaves
the page's screenshot and HTML there too.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from programs.dispatch import deliver, dispatch_due_deliveries
from programs.models import Delivery, Enrollment, Program, Step
from shop.models import Order, Product
from tests.factories import ArticleFactory, FaqEntryFactory, ProductFactory

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "a-long-staff-password-for-tests"


@pytest.fixture
def catalog(db):
    product = ProductFactory(
        name="FoosFoot",
        slug="foosfoot",
        price=Decimal("89.00"),
        stock=20,
        image_url="img/foosfoot.svg",
        image_alt="The FoosFoot: a footplate on a hinged base",
        description="Heel down, toes down: five minutes a day.",
    )
    FaqEntryFactory(question="How long should I use it each day?", answer_markdown="Five minutes.", products=[product])
    ArticleFactory(title="Why weak feet strain your back", slug="weak-feet-strain-your-back")
    program = Program.objects.create(name="Stronger feet in 14 days", slug="stronger-feet", send_hour=8)
    program.granted_by.add(product)
    Step.objects.create(program=program, day=0, subject="Day 1: wake your feet up", body="Ten heel raises.")
    Step.objects.create(program=program, day=1, subject="Day 2: toes down", body="Ten toe presses.")
    return product


def send_due_lessons() -> int:
    """One dispatch pass as of the first scheduled lesson, sent in-process (what beat + a worker do)."""
    first = Delivery.objects.filter(status=Delivery.Status.SCHEDULED).order_by("due_at").first()
    assert first is not None, "the paid order enrolled nobody"
    sent = []
    dispatch_due_deliveries(
        now=first.due_at,
        enqueue=lambda ids: sent.extend(deliver(delivery_id=i, final_attempt=True) for i in ids),
    )
    return len(sent)


def link_in(message, pattern: str) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(pattern, text)
    assert match, f"no link matching {pattern!r} in:\n{text}"
    return match.group(0)


def test_buy_pay_follow_unsubscribe_and_ship(
    page_recorder, live_server, catalog, stripe_webhooks_to_live_server, mailbox, site_url
):
    page, step = page_recorder.page, page_recorder.step
    emulator = stripe_webhooks_to_live_server

    # Home → product
    page.goto("/")
    step("home")
    page.get_by_role("link", name="See the FoosFoot").click()
    page.wait_for_url("**/shop/foosfoot/")
    assert page.locator("#stock-state").inner_text().strip() == "In stock"
    assert "How long should I use it each day?" in page.content()
    step("product")

    # Add two → cart
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    assert "Added 2 × FoosFoot to your cart." in page.content()
    assert "178.00" in page.locator("#cart-total").inner_text()
    step("cart")

    # Checkout → the emulator's hosted page
    page.get_by_label("Email address").fill("dana@example.com")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert Product.objects.get(slug="foosfoot").stock == 18
    step("stripe pay page")

    # Pay → back on the success page, paid
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/checkout/success/**")
    page.get_by_text("Thank you, your order is confirmed").wait_for()
    step("success paid")
    emulator.wait_for_deliveries(timeout=10)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.customer_name  # taken from the completed session

    # The order-status page
    page.get_by_role("link", name="See your order's status").click()
    page.wait_for_url(f"**/orders/{order.token}/")
    assert page.locator("#order-status").inner_text() == "Paid"
    step("order status paid")

    # The confirmation email, then the day-0 lesson (one dispatch pass, as beat would run it)
    confirmation = [m for m in mailbox.wait_for(1) if order.number in m["Subject"]]
    assert len(confirmation) == 1
    assert link_in(confirmation[0], r"https?://\S+/orders/\S+/") == f"{site_url}/orders/{order.token}/"
    enrollment = Enrollment.objects.get(order=order)
    assert send_due_lessons() == 1
    lesson = [m for m in mailbox.wait_for(2) if m["Subject"] != confirmation[0]["Subject"]]
    assert len(lesson) == 1
    assert "Day 1" in lesson[0]["Subject"]
    assert lesson[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The lesson's unsubscribe page
    page.goto(link_in(lesson[0], r"https?://\S+/programs/\S+/unsubscribe/\S*"))
    step("unsubscribe confirm")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You are unsubscribed").wait_for()
    step("unsubscribed")
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.UNSUBSCRIBED

    # Staff: log in to admin, mark the order shipped with a tracking number
    get_user_model().objects.create_superuser("clerk", "clerk@hodhod.example", STAFF_PASSWORD)
    page.goto("/admin/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Orders to ship today").wait_for()
    step("admin dashboard")
    page.goto(f"/admin/shop/order/?q={order.number}")
    page.locator(f'input[name="_selected_action"][value="{order.pk}"]').check()
    page.locator('select[name="action"]').select_option("mark_shipped")
    page.get_by_role("button", name="Go").click()
    step("admin ship form")
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name=re.compile("ship", re.IGNORECASE)).click()
    page.wait_for_load_state()
    step("admin shipped")
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED

    # The status page shows the tracking link
    page.goto(f"/orders/{order.token}/")
    assert page.locator("#order-status").inner_text() == "Shipped"
    tracking = page.locator("#tracking-link")
    assert tracking.get_attribute("href") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    step("order status shipped")
    assert page_recorder.console_errors == []


def test_success_page_refreshes_itself_until_the_payment_is_confirmed(
    page_recorder, live_server, catalog, stripe_webhooks_to_live_server, mailbox, site_url
):
    page, step = page_recorder.page, page_recorder.step
    page.goto("/shop/foosfoot/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_label("Email address").fill("lee@example.com")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{stripe_webhooks_to_live_server.base_url}/pay/**")
    order = Order.objects.get()

    # Back on the success page before Stripe has the payment: it says so, and refreshes (no JavaScript).
    page.goto(f"/checkout/success/?session_id={order.checkout_session_id}")
    assert page.get_by_role("heading", name="Your payment is being confirmed").is_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    step("confirming")
    stripe_webhooks_to_live_server.complete_session(order.checkout_session_id, outcome="paid")
    page.get_by_text("Thank you, your order is confirmed").wait_for(timeout=15_000)
    step("confirmed after refresh")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_cancel_on_the_pay_page_comes_back_with_the_cart_kept(
    page_recorder, live_server, catalog, stripe_api, site_url
):
    page, step = page_recorder.page, page_recorder.step
    page.goto("/shop/foosfoot/")
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_label("Email address").fill("lee@example.com")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{stripe_api.base_url}/pay/**")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url("**/checkout/cancel/**")
    assert "Your cart is kept just as you left it." in page.content()
    step("cancelled")
    page.get_by_role("link", name="Back to your cart").click()
    assert page.get_by_label("Quantity of FoosFoot").input_value() == "3"
    step("cart kept")
    assert Order.objects.get().status == Order.Status.CANCELLED
    assert Product.objects.get(slug="foosfoot").stock == 20


def test_buying_needs_no_javascript(browser, live_server, catalog, stripe_webhooks_to_live_server, site_url):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/shop/foosfoot/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_label("Email address").fill("noscript@example.com")
        page.get_by_role("button", name="Check out and pay").click()
        page.wait_for_url(f"{stripe_webhooks_to_live_server.base_url}/pay/**")
        page.get_by_role("button", name="Pay", exact=True).click()
        page.get_by_text("Thank you, your order is confirmed").wait_for()
    finally:
        context.close()
    assert Order.objects.get().status == Order.Status.PAID
