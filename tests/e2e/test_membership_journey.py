"""A member's journey in Chromium (issue 13): join monthly on /membership/ → the emulator's hosted pay page → the
success page → a lesson of a premium program, sent by a real Celery worker to the SMTP sink → the customer portal
from the success page → cancel at the period's end on the emulator's portal page → the emulator's clock past the
period's end → the member's program stops, and no lesson goes out any more. Screenshots per step under
test-results/.
"""

import datetime as dt
import re
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Plan, Subscription
from programs import dispatch, tasks
from programs.models import Delivery, Enrollment, Program, Step

pytestmark = [pytest.mark.e2e, pytest.mark.celery]
DAY = 86400


@pytest.fixture
def coach(transactional_db):
    monthly = Plan.objects.create(
        name="FoosFoot Coach, monthly", slug="foosfoot-coach-monthly", price=Decimal("9.00"), position=1
    )
    Plan.objects.create(
        name="FoosFoot Coach, yearly", slug="foosfoot-coach-yearly", price=Decimal("90.00"), interval="year", position=2
    )
    program = Program.objects.create(name="Balance and stability", slug="balance-and-stability", send_hour=8)
    for day, subject in enumerate(["Balance 1: the foot is your base", "Balance 2: quiet feet", "Balance 3: reach"]):
        Step.objects.create(program=program, day=day, subject=subject, body="One-foot stand, **30 seconds** a side.")
    program.plans.add(monthly)
    return monthly


def _text(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


def _link(message, pattern: str) -> str:
    match = re.search(pattern, message.get_body(("plain",)).get_content())
    assert match, f"no link matching {pattern!r}"
    return match.group(0)


def _dispatch_through_the_worker(now) -> int:
    """One dispatch pass as of `now` (what beat runs every minute), its sends handed to the real worker."""
    claimed = dispatch.dispatch_due_deliveries(now=now, enqueue=tasks.enqueue_sends)
    deadline = time.monotonic() + 20
    while Delivery.objects.filter(status=Delivery.Status.SENDING).exists():
        assert time.monotonic() < deadline, "the worker did not send the claimed lessons"
        time.sleep(0.05)
    return claimed


def _received(mailbox, subject: str, count: int) -> list:
    """The messages of this subject, once the sink holds at least `count` messages."""
    return [message for message in mailbox.wait_for(count, timeout=30) if message["Subject"] == subject]


def test_join_a_lesson_arrives_cancel_in_the_portal_and_the_lessons_stop_after_the_period(
    page_recorder, live_server, stripe_webhooks_to_live_server, mailbox, celery_worker, site_url, coach
):
    page, step = page_recorder.page, page_recorder.step
    emulator = stripe_webhooks_to_live_server

    # Join monthly on /membership/ → Stripe's hosted page → the success page.
    page.goto("/membership/")
    page.get_by_label(re.compile("FoosFoot Coach, monthly")).check()
    page.get_by_label("Email").fill("dana@example.com")
    step("membership plans")
    page.get_by_role("button", name="Join and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    assert "9.00" in page.content()
    step("stripe pay page")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/membership/success/**")
    page.get_by_role("heading", name="Welcome to FoosFoot Coach, monthly").wait_for()
    step("membership success")
    emulator.wait_for_deliveries(timeout=15)
    member = Subscription.objects.get()
    assert member.status == Subscription.Status.ACTIVE
    enrollment = Enrollment.objects.get(origin=Enrollment.Origin.MEMBER)
    assert (enrollment.email, enrollment.status) == ("dana@example.com", Enrollment.Status.ACTIVE)

    # The program's welcome (from the worker), then lesson 1 at the send hour, sent by the worker.
    welcome = _received(mailbox, "Welcome to Balance and stability", 2)  # and the membership's own welcome
    assert len(welcome) == 1 and "because you are a FoosFoot Coach member" in _text(welcome[0])
    first = enrollment.deliveries.order_by("due_at").first()
    assert _dispatch_through_the_worker(first.due_at) == 1
    lesson = _received(mailbox, "Balance 1: the foot is your base", 3)
    assert len(lesson) == 1
    assert "You get Balance and stability from Hod & Hod because you are a FoosFoot Coach member." in _text(lesson[0])
    manage_url = _link(lesson[0], r"https?://\S+/programs/[^/\s]+/(?=\s|$)")

    # The portal, from the success page's button: cancel at the period's end. Access (and lessons) go on.
    page.get_by_role("button", name="Manage your membership").click()
    page.wait_for_url(f"{emulator.base_url}/portal/**")
    step("customer portal")
    page.get_by_role("button", name="Cancel subscription").click()
    page.get_by_role("button", name="Resume subscription").wait_for()
    step("portal: canceled at period end")
    emulator.wait_for_deliveries(timeout=15)
    member.refresh_from_db()
    assert (member.status, member.cancel_at_period_end) == (Subscription.Status.ACTIVE, True)
    second = enrollment.deliveries.filter(status=Delivery.Status.SCHEDULED).order_by("due_at").first()
    assert _dispatch_through_the_worker(second.due_at) == 1  # before the period's end: lesson 2 goes out
    assert len(_received(mailbox, "Balance 2: quiet feet", 5)) == 1  # after "… will end" from billing

    # The emulator's clock passes the period's end: the membership ends, the program stops where it is.
    emulator.advance_clock(32 * DAY)
    emulator.wait_for_deliveries(timeout=15)
    member.refresh_from_db()
    enrollment.refresh_from_db()
    assert member.status == Subscription.Status.CANCELED
    assert enrollment.status == Enrollment.Status.STOPPED
    assert not enrollment.deliveries.filter(status=Delivery.Status.SCHEDULED).exists()
    received = len(mailbox)
    assert _dispatch_through_the_worker(timezone.now() + dt.timedelta(days=400)) == 0
    assert len(mailbox) == received
    sent = enrollment.deliveries.filter(status=Delivery.Status.SENT).values_list("step__day", flat=True)
    assert sorted(sent) == [0, 1]

    # The lesson's manage link says why, and how the lessons come back.
    page.goto(manage_url)
    assert page.locator("#enrollment-status").inner_text() == "Stopped (membership ended)"
    assert (
        "Rejoin and they continue where they stopped, with lesson 3." in page.locator("#membership-ended").inner_text()
    )
    step("manage page: stopped with the membership")
    assert page_recorder.console_errors == []
