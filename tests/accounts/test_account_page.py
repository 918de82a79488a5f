"""Issue 14: the account page. Orders with their status, tracking and money; programs with the next lesson on the
customer's clock and their buttons (the programs' own services); the membership and its portal; "stop all";
private pages; a fixed number of queries however many orders and programs."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.consent import has_consent, record_consent
from core.mail import MailKind, may_mail
from core.models import Suppression
from core.suppression import suppress
from payments.client import get_stripe_client
from programs.enrollments import enroll
from programs.models import Delivery, Enrollment
from shop.models import Order
from tests.accounts.conftest import make_membership, sign_in_as
from tests.factories import EnrollmentFactory, OrderFactory, OrderLineFactory, ProductFactory, program_with_steps

pytestmark = pytest.mark.django_db
PAGES = ["/account/", "/account/preferences/", "/account/data.json", "/account/erase/"]


def shipped_order(email: str, number: str = "HH-000123") -> Order:
    order = OrderFactory(
        email=email,
        number=number,
        status=Order.Status.SHIPPED,
        subtotal=Decimal("89.00"),
        shipping_total=Decimal("6.95"),
        tax_total=Decimal("6.45"),
        total=Decimal("102.40"),
        paid_at=timezone.now(),
        shipped_at=timezone.now(),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    OrderLineFactory(order=order, product=ProductFactory(name="FoosFoot"), quantity=1, unit_price=Decimal("89.00"))
    return order


def test_issue14_the_account_shows_orders_programs_and_membership(client, plan):
    order = shipped_order("Dana@Example.com")
    program = program_with_steps(3, name="Stronger feet")
    enroll(program=program, email="dana@example.com", origin="staff", timezone_name="America/Chicago", send_hour=19)
    make_membership(plan, "dana@example.com", customer_id="cus_test")
    OrderFactory(email="someone.else@example.com", number="HH-999999")
    sign_in_as(client, "dana@example.com")

    page = client.get("/account/").content.decode()
    assert f'href="/orders/{order.token}/"' in page and "HH-999999" not in page
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in page
    for amount in ["89.00 USD", "6.95 USD", "6.45 USD", "102.40 USD"]:
        assert amount in page
    assert "1 × FoosFoot" in page
    assert re.search(r"Next: “Lesson 1”, \w+ \d+ \w+, 19:00 \(America/Chicago\)", page), page
    assert "Lessons arrive at 19:00 (America/Chicago)" in page
    assert "FoosFoot Coach, monthly" in page and 'action="/account/billing/"' in page


def _account_queries(client) -> int:
    client.get("/account/")  # warm: the footer's cache, the sign-in message read
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/account/").status_code == 200
    return len(queries)


def _customer_with(count: int, email: str, plan) -> None:
    program = program_with_steps(2)
    for n in range(count):
        shipped_order(email, number=f"HH-{email[:3]}{n:04d}")
        enrollment = EnrollmentFactory(program=program, email=email)
        Delivery.objects.create(enrollment=enrollment, step=program.steps.first(), due_at=timezone.now())
    make_membership(plan, email)


def test_issue14_the_account_page_queries_stay_constant_with_one_or_fifty_orders_and_programs(
    client, plan, django_assert_max_num_queries
):
    _customer_with(1, "one@example.com", plan)
    _customer_with(50, "fifty@example.com", plan)
    sign_in_as(client, "one@example.com")
    one = _account_queries(client)
    sign_in_as(client, "fifty@example.com")
    fifty = _account_queries(client)
    assert one == fifty
    with django_assert_max_num_queries(8):
        client.get("/account/")


def test_issue14_pause_resume_send_hour_and_unsubscribe_from_the_account(client):
    program = program_with_steps(3, name="Stronger feet")
    enrollment = enroll(program=program, email="dana@example.com", origin="staff", timezone_name="Europe/Berlin")
    sign_in_as(client, "dana@example.com")

    def press(**data):
        response = client.post("/account/", {"enrollment": enrollment.pk, **data}, follow=True)
        enrollment.refresh_from_db()
        return response.content.decode()

    assert "Stronger feet is paused" in press(action="pause")
    assert enrollment.status == Enrollment.Status.PAUSED
    assert "Stronger feet resumed" in press(action="resume")
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert "lessons now arrive at 06:00 (Asia/Tokyo)" in press(action="send_time", send_hour="6", timezone="Asia/Tokyo")
    assert (enrollment.send_hour, enrollment.timezone) == (6, "Asia/Tokyo")
    assert "Unknown time zone" in press(action="send_time", send_hour="6", timezone="Mars/Olympus")
    assert enrollment.timezone == "Asia/Tokyo"
    assert "You are unsubscribed from Stronger feet" in press(action="unsubscribe")
    assert enrollment.status == Enrollment.Status.UNSUBSCRIBED
    assert not enrollment.deliveries.open().exists()


def test_issue14_someone_elses_program_cannot_be_touched_from_an_account(client):
    theirs = EnrollmentFactory(email="other@example.com")
    sign_in_as(client, "dana@example.com")
    page = client.post("/account/", {"enrollment": theirs.pk, "action": "pause"}, follow=True).content.decode()
    assert "not one of yours" in page
    theirs.refresh_from_db()
    assert theirs.status == Enrollment.Status.ACTIVE
    for junk in ["", "abc", "99999999999999999999999", "-1"]:
        assert client.post("/account/", {"enrollment": junk, "action": "pause"}).status_code == 303


def test_issue14_stop_all_stops_every_program_and_all_unasked_mail_in_one_step(client):
    programs = [program_with_steps(2), program_with_steps(2)]
    for program in programs:
        enroll(program=program, email="Dana@Example.com", origin="staff")
    record_consent(email="dana@example.com", topic="news", granted=True, source="checkout:cs_1")
    sign_in_as(client, "dana@example.com")

    page = client.post("/account/", {"action": "stop_all"}, follow=True).content.decode()
    assert "Everything is stopped: 2 programs unsubscribed" in page
    assert set(Enrollment.objects.values_list("status", flat=True)) == {Enrollment.Status.UNSUBSCRIBED}
    assert not Delivery.objects.open().exists()
    assert not has_consent("dana@example.com", "news") and not has_consent("dana@example.com", "recovery")
    assert Suppression.objects.get(email="dana@example.com").reason == Suppression.Reason.STOP_ALL
    for kind in (MailKind.LESSON, MailKind.WELCOME, MailKind.SIGNUP_CONFIRMATION, MailKind.NEWS, MailKind.RECOVERY):
        assert not may_mail("dana@example.com", kind)
    for kind in (MailKind.ORDER, MailKind.MEMBERSHIP, MailKind.SIGN_IN, MailKind.ACCOUNT):
        assert may_mail("dana@example.com", kind)
    assert 'id="mail-stopped"' in page and "Start mail again" in page


def test_issue14_start_mail_again_lifts_only_the_customers_own_stop(client):
    sign_in_as(client, "dana@example.com")
    client.post("/account/", {"action": "stop_all"})
    client.post("/account/", {"action": "mail_again"})
    assert may_mail("dana@example.com", MailKind.LESSON)

    suppress(email="bounced@example.com", reason=Suppression.Reason.COMPLAINT)
    sign_in_as(client, "bounced@example.com")
    assert "Start mail again" not in client.get("/account/").content.decode()
    client.post("/account/", {"action": "mail_again"})
    assert not may_mail("bounced@example.com", MailKind.LESSON)


@pytest.mark.parametrize("path", PAGES)
def test_issue14_every_account_page_is_private(client, path):
    signed_out = client.get(path)
    assert {"private", "no-store"} <= {part.strip() for part in signed_out["Cache-Control"].split(",")}
    sign_in_as(client, "dana@example.com")
    response = client.get(path)
    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize("path", PAGES[1:])
def test_issue14_signed_out_the_account_pages_lead_to_the_sign_in_form(client, path):
    response = client.get(path)
    assert response.status_code == 303 and response["Location"] == "/account/"
    assert b"Email me a sign-in link" in client.get("/account/").content


def test_issue14_a_button_of_an_ended_session_asks_to_sign_in_again(client):
    response = client.post("/account/", {"action": "stop_all"})
    assert response.status_code == 403 and b"You are signed out" in response.content
    assert not Suppression.objects.exists()


def test_issue14_manage_billing_opens_stripes_portal_for_the_signed_in_member(client, plan, stripe_api, settings):
    customer = get_stripe_client().v1.customers.create(params={"email": "dana@example.com"})
    make_membership(plan, "dana@example.com", customer_id=customer.id)
    sign_in_as(client, "dana@example.com")
    response = client.post("/account/billing/")
    assert response.status_code == 303
    assert response["Location"].startswith(stripe_api.base_url)
    (session,) = stripe_api.portal_sessions.values()
    assert response["Location"] == session["url"]
    assert session["customer"] == customer.id and session["return_url"] == f"{settings.SITE_URL}/account/"
    # The ways it worked before still do: a visitor without a session gets the button page, not someone's portal.
    assert client.post("/account/sign-out/").status_code == 303
    assert client.post("/account/billing/").status_code == 404


def test_issue14_the_header_links_the_account(client):
    page = client.get("/").content.decode()
    assert '<a href="/account/"' in page
    assert '<a href="/account/" aria-current="page">Account</a>' in client.get("/account/").content.decode()


def test_issue14_an_order_placed_in_another_case_after_sign_in_shows_too(client):
    sign_in_as(client, "dana@example.com")
    OrderFactory(email="DANA@EXAMPLE.COM", number="HH-LATER1", created_at=timezone.now() + timedelta(minutes=1))
    assert "HH-LATER1" in client.get("/account/").content.decode()
