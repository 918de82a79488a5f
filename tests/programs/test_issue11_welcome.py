"""Issue 11, item 2: the buyer hears about the program: a welcome email once per enrollment, sent by the
worker after the enrollment commits, and lesson footers that say why the customer gets them."""

import re
import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from programs import enrollments, lessons, tasks, welcome
from programs.dispatch import Outcome
from programs.models import Enrollment
from tests.factories import SuppressionFactory, program_with_steps
from tests.programs.conftest import announce_paid, make_paid_order, utc


def _wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.celery
def test_a_paid_order_gets_one_welcome_through_the_worker(celery_worker, mailbox, granted_program, foosfoot):
    order = make_paid_order(foosfoot, email="dana@example.com", address={"country": "US", "state": "IL"})
    announce_paid(order)
    enrollment = Enrollment.objects.get(order=order)
    (message,) = mailbox.wait_for(1)
    _wait_until(lambda: Enrollment.objects.get(pk=enrollment.pk).welcomed_at is not None)

    assert message["Subject"] == "Welcome to Foundations" and message["To"] == "dana@example.com"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    first = enrollment.deliveries.get(step__day=0).due_at.astimezone(ZoneInfo("America/Chicago"))
    assert first.hour == 8
    for part in (text, html):
        assert "Hi Dana Buyer," in part
        assert "because you bought a FoosFoot" in part
        assert "3 short lessons by email, one a day at 08:00 your time (America/Chicago)" in part
        assert f"{first:%A} {first.day} {first:%B}, 08:00 (America/Chicago)" in part  # the first lesson, local
        assert f"/programs/{enrollment.token}/" in part  # the manage link
    assert message["List-Unsubscribe"].strip() == f"<{lessons.unsubscribe_url(enrollment)}>"

    # Announced again, queued again: nothing more goes out.
    announce_paid(order)
    tasks.send_welcome.delay(enrollment.pk)
    time.sleep(1.0)
    assert len(mailbox) == 1


@pytest.mark.celery
def test_a_confirmed_free_signup_is_welcomed_once(celery_worker, mailbox, client):
    program = program_with_steps(2, name="Starter", slug="starter", is_public=True)
    response = client.post(
        "/api/programs/starter/signup/",
        {"email": "new@example.com", "timezone": "Europe/Berlin", "send_hour": 7},
        content_type="application/json",
    )
    assert response.status_code == 202
    (confirmation,) = mailbox.wait_for(1)
    link = re.search(r"https?://\S+/programs/\S+/confirm/", confirmation.get_body(("plain",)).get_content()).group(0)
    browser = Client()
    assert browser.post(urlsplit(link).path).status_code == 200
    assert browser.post(urlsplit(link).path).status_code == 200  # a second click changes nothing
    messages = mailbox.wait_for(2)
    time.sleep(0.5)
    assert [m["Subject"] for m in mailbox] == ["Confirm: Starter", "Welcome to Starter"]
    text = messages[1].get_body(("plain",)).get_content()
    assert "because you signed up" in text and "at 07:00 your time (Europe/Berlin)" in text
    assert Enrollment.objects.get(program=program).welcomed_at is not None


@pytest.mark.django_db
def test_staff_enrollments_and_unsubscribed_ones_get_no_welcome(mailbox):
    staff = enrollments.enroll(program=program_with_steps(1), email="hand@example.com", origin="staff")
    assert welcome.send_welcome(enrollment_id=staff.pk) is Outcome.SKIPPED
    gone = enrollments.enroll(program=program_with_steps(1), email="gone@example.com", origin="order")
    enrollments.unsubscribe(enrollment=gone)
    assert welcome.send_welcome(enrollment_id=gone.pk) is Outcome.SKIPPED
    assert len(mailbox) == 0
    assert not Enrollment.objects.filter(welcomed_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_suppressed_address_gets_no_welcome_and_it_is_not_tried_again(mailbox):
    enrollment = enrollments.enroll(program=program_with_steps(1), email="quiet@example.com", origin="order")
    SuppressionFactory(email="quiet@example.com")
    assert welcome.send_welcome(enrollment_id=enrollment.pk) is Outcome.SKIPPED
    assert len(mailbox) == 0
    assert Enrollment.objects.get(pk=enrollment.pk).welcomed_at is not None
    assert welcome.send_welcome(enrollment_id=enrollment.pk) is Outcome.NOTHING


@pytest.mark.django_db
def test_a_mail_server_that_is_away_is_retried_and_the_last_try_gives_up(settings, smtp_sink):
    enrollment = enrollments.enroll(program=program_with_steps(1), email="later@example.com", origin="order")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    assert welcome.send_welcome(enrollment_id=enrollment.pk, final_attempt=False) is Outcome.RETRY
    assert welcome.send_welcome(enrollment_id=enrollment.pk, final_attempt=True) is Outcome.FAILED
    assert Enrollment.objects.get(pk=enrollment.pk).welcomed_at is None


@pytest.mark.django_db
def test_with_the_broker_down_the_welcome_is_sent_at_once(mailbox, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(tasks.send_welcome, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enrollments.enroll(program=program_with_steps(1), email="now@example.com", origin="order")
    (message,) = mailbox.wait_for(1)
    assert message["Subject"].startswith("Welcome to") and message["To"] == "now@example.com"
    assert Enrollment.objects.get(pk=enrollment.pk).welcomed_at is not None


@pytest.mark.django_db
def test_the_welcome_is_announced_after_commit_only_for_a_new_enrollment(
    django_capture_on_commit_callbacks, granted_program, foosfoot, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks, "queue_welcome", queued.append)
    order = make_paid_order(foosfoot)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollments.enroll_order(order=order)
    assert len(callbacks) == 1 and queued == [Enrollment.objects.get(order=order).pk]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollments.enroll_order(order=order)  # announced twice: no new enrollment, no second welcome
    assert callbacks == [] and len(queued) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("order", "because you bought a FoosFoot"),
        ("signup", "because you signed up"),
        ("staff", "because our team signed you up"),
    ],
)
def test_lesson_footers_say_why_by_origin(send_now, mailbox, origin, reason):
    enrollment = enrollments.enroll(
        program=program_with_steps(1, name="Foundations"),
        email="why@example.com",
        origin=origin,
        timezone_name="UTC",
        send_hour=8,
        now=utc(2026, 3, 2, 6),
    )
    send_now(utc(2026, 3, 2, 8))
    (message,) = mailbox.wait_for(1)
    for part in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
        assert f"You get Foundations from Hod &{'amp;' if '<html' in part else ''} Hod {reason}." in part
        assert "because you joined" not in part
    assert enrollment.deliveries.get().status == "sent"


def test_the_member_wording_waits_for_the_membership_origin():
    assert lessons.origin_reason("member") == "because you are a FoosFoot Coach member"
    assert lessons.origin_reason("something new") == "because you signed up"
