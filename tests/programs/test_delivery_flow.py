"""Paid order → enrollment → lesson through a real Celery worker on Redis and real SMTP."""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from programs import dispatch, tasks
from programs.models import Delivery, Enrollment
from tests.programs.conftest import announce_paid, make_paid_order

pytestmark = pytest.mark.celery


def _wait_until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_paid_order_day0_lesson_through_worker_and_one_click_unsubscribe(
    celery_worker, mailbox, granted_program, foosfoot
):
    order = make_paid_order(foosfoot, email="dana@example.com")
    announce_paid(order)

    enrollment = Enrollment.objects.get(order=order)
    assert enrollment.program == granted_program
    assert enrollment.origin == Enrollment.Origin.ORDER
    assert enrollment.timezone == "America/New_York"  # from the shipping address
    day0 = enrollment.deliveries.get(step__day=0)
    # The welcome goes first, through the worker (tests/programs/test_issue11_welcome.py reads it).
    _wait_until(lambda: Enrollment.objects.get(pk=enrollment.pk).welcomed_at is not None)
    mailbox.clear()

    # One pass of the scheduler as the beat tick runs it; the send task goes through Redis.
    assert dispatch.dispatch_due_deliveries(now=day0.due_at, enqueue=tasks.enqueue_sends) == 1
    (message,) = mailbox.wait_for(1)
    _wait_until(lambda: Delivery.objects.get(pk=day0.pk).status == Delivery.Status.SENT)

    day0.refresh_from_db()
    assert day0.message_id == message["Message-ID"]
    assert day0.sent_at is not None and day0.attempts == 1
    assert message["To"] == "dana@example.com"
    assert message["From"] == settings.PROGRAMS_FROM_EMAIL
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "10 slow points" in text and "<strong>10 slow points</strong>" in html
    unsubscribe_url = f"{settings.SITE_URL}/programs/{enrollment.token}/unsubscribe/"
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "foundations.programs." in message["List-Id"]
    assert f"/programs/{enrollment.token}/" in text and unsubscribe_url in html  # footer links
    assert Delivery.objects.filter(enrollment=enrollment, status=Delivery.Status.SENT).count() == 1  # only day 0

    # RFC 8058: a mail client POSTs with no cookie and no CSRF token; 200, no redirect, effective at once.
    browserless = Client(enforce_csrf_checks=True)
    response = browserless.post(
        urlsplit(message["List-Unsubscribe"].strip().strip("<>")).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.UNSUBSCRIBED
    assert not enrollment.deliveries.filter(status=Delivery.Status.SCHEDULED).exists()


def test_beat_tick_on_the_worker_reaps_a_killed_send_and_sends_each_lesson_once(
    celery_worker, mailbox, granted_program, foosfoot
):
    announce_paid(make_paid_order(foosfoot, email="first@example.com"))
    announce_paid(make_paid_order(foosfoot, email="second@example.com"))
    _wait_until(lambda: not Enrollment.objects.filter(welcomed_at__isnull=True).exists())  # the welcomes went
    mailbox.clear()
    now = dt.datetime.now(dt.UTC)
    day0 = Delivery.objects.filter(step__day=0).order_by("pk")
    killed, waiting = list(day0)
    # One lesson was claimed an hour ago by a worker that was killed; the other is simply due.
    Delivery.objects.filter(pk=killed.pk).update(
        status=Delivery.Status.SENDING, claimed_at=now - dt.timedelta(hours=1), due_at=now - dt.timedelta(hours=1)
    )
    Delivery.objects.filter(pk=waiting.pk).update(due_at=now - dt.timedelta(minutes=1))

    tasks.dispatch_due_deliveries.delay()  # what beat sends every minute
    _wait_until(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2)
    tasks.dispatch_due_deliveries.delay()  # the next tick finds nothing
    time.sleep(0.5)
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["first@example.com", "second@example.com"]
    assert len(mailbox) == 2
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2
