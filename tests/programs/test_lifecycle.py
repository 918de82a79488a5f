"""Enrollment lifecycle: purchase, refund, pause/resume, suppression, edits, free signup."""

import datetime as dt
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import Client
from django.utils import timezone

from core.models import Suppression
from programs import confirmations, dispatch, enrollments
from programs.models import Delivery, Enrollment
from shop.models import Order
from shop.signals import order_refunded
from tests.factories import ProgramFactory, program_with_steps
from tests.programs.conftest import announce_paid, make_paid_order, utc

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
MONDAY = utc(2026, 3, 2, 12)  # 07:00 in New York


def _ny_enrollment(steps: int = 5, **kwargs) -> Enrollment:
    return enrollments.enroll(
        program=program_with_steps(steps),
        email="pat@example.com",
        origin="staff",
        timezone_name="America/New_York",
        now=MONDAY,
        **kwargs,
    )


def _due_local(enrollment: Enrollment) -> list[str]:
    return [d.due_at.astimezone(NY).strftime("%m-%d %H:%M") for d in enrollment.deliveries.order_by("step__day")]


def test_paid_announcement_three_times_enrolls_once(granted_program, foosfoot):
    other = ProgramFactory(granted_by=[foosfoot])
    order = make_paid_order(foosfoot)
    for _ in range(3):
        announce_paid(order)
    assert Enrollment.objects.filter(order=order).count() == 2  # once per granted program
    assert Enrollment.objects.get(order=order, program=granted_program).deliveries.count() == 3
    assert not Enrollment.objects.filter(program=other).exclude(order=order).exists()


def test_an_order_without_granting_products_enrolls_nobody(granted_program):
    from tests.factories import ProductFactory

    order = make_paid_order(ProductFactory())
    announce_paid(order)
    assert not Enrollment.objects.exists()


def test_refund_cancels_the_order_enrollments(granted_program, foosfoot, send_now, mailbox):
    order = make_paid_order(foosfoot)
    announce_paid(order)
    enrollment = Enrollment.objects.get(order=order)
    order.status = Order.Status.REFUNDED
    order.save()
    order_refunded.send(sender=Order, order=order)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CANCELLED
    assert set(enrollment.deliveries.values_list("status", flat=True)) == {Delivery.Status.CANCELLED}
    assert send_now(dt.datetime.now(dt.UTC) + dt.timedelta(days=30)) == []
    assert len(mailbox) == 0


def test_pause_then_resume_shifts_the_rest(send_now, mailbox):
    enrollment = _ny_enrollment()
    assert _due_local(enrollment) == ["03-02 08:00", "03-03 08:00", "03-04 08:00", "03-05 08:00", "03-06 08:00"]
    assert send_now(utc(2026, 3, 2, 13)) == [dispatch.Outcome.SENT]  # lesson 1, Monday

    enrollments.pause(enrollment=enrollment, now=utc(2026, 3, 3, 10))  # Tuesday 05:00, before lesson 2
    assert send_now(utc(2026, 3, 5, 23)) == []  # nothing while paused
    enrollments.resume(enrollment=enrollment, now=utc(2026, 3, 5, 11))  # Thursday 06:00: two days later
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    # Lesson 2 continues on Thursday, the rest follow daily; the DST night (03-08) keeps 08:00.
    assert _due_local(enrollment) == ["03-02 08:00", "03-05 08:00", "03-06 08:00", "03-07 08:00", "03-08 08:00"]
    assert send_now(utc(2026, 3, 5, 13)) == [dispatch.Outcome.SENT]
    assert [m["Subject"] for m in mailbox.wait_for(2)] == ["Lesson 1", "Lesson 2"]


def test_a_pause_after_the_claim_holds_the_lesson(mailbox, django_capture_on_commit_callbacks):
    enrollment = _ny_enrollment(steps=1)
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=utc(2026, 3, 2, 13), enqueue=claimed.extend)
    enrollments.pause(enrollment=enrollment, now=utc(2026, 3, 2, 13))
    assert dispatch.deliver(delivery_id=claimed[0], final_attempt=False) is dispatch.Outcome.HELD
    assert len(mailbox) == 0
    enrollments.resume(enrollment=enrollment, now=utc(2026, 3, 4, 13))
    assert enrollment.deliveries.get().status == Delivery.Status.SCHEDULED


def test_last_lesson_completes_and_a_completed_program_cannot_resume(send_now, mailbox):
    enrollment = _ny_enrollment(steps=2)
    send_now(utc(2026, 3, 10))
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    with pytest.raises(enrollments.EnrollmentStateError) as refusal:
        enrollments.resume(enrollment=enrollment)
    assert refusal.value.code == "not_paused"


def test_suppression_stops_sending(send_now, mailbox):
    enrollment = _ny_enrollment()
    send_now(utc(2026, 3, 2, 13))
    Suppression.objects.create(email="PAT@example.com", reason=Suppression.Reason.MANUAL)
    assert send_now(utc(2026, 3, 3, 13)) == [dispatch.Outcome.SKIPPED]
    assert len(mailbox.wait_for(1)) == 1
    assert enrollment.deliveries.get(step__day=1).last_error == "address is suppressed"


def test_provider_bounce_event_suppresses_and_ends_the_enrollment(send_now, mailbox):
    enrollment = _ny_enrollment()
    event = AnymailTrackingEvent(event_type="bounced", recipient="pat@example.com", event_id="ev_1")
    tracking.send(sender=object, event=event, esp_name="Postmark")
    assert Suppression.objects.get(email="pat@example.com").reason == Suppression.Reason.HARD_BOUNCE
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.BOUNCED
    assert send_now(utc(2026, 4, 1)) == []
    assert len(mailbox) == 0
    complaint = AnymailTrackingEvent(event_type="complained", recipient="other@example.com")
    tracking.send(sender=object, event=complaint, esp_name="Postmark")
    assert Suppression.objects.get(email="other@example.com").reason == Suppression.Reason.COMPLAINT
    tracking.send(
        sender=object, event=AnymailTrackingEvent(event_type="opened", recipient="x@example.com"), esp_name="P"
    )
    assert not Suppression.objects.filter(email="x@example.com").exists()


def test_a_step_edited_after_enrollment_sends_the_new_text(send_now, mailbox):
    enrollment = _ny_enrollment(steps=1)
    step = enrollment.program.steps.get()
    step.subject = "Lesson 1, corrected"
    step.body = "Fixed typo: **plantarflexion** ten times."
    step.save()
    send_now(utc(2026, 3, 2, 13))
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Lesson 1, corrected"
    assert "Fixed typo: plantarflexion ten times." in message.get_body(("plain",)).get_content()
    assert "<strong>plantarflexion</strong>" in message.get_body(("html",)).get_content()


def test_markdown_bodies_are_sanitised(send_now, mailbox):
    enrollment = _ny_enrollment(steps=1)
    enrollment.program.steps.update(body='Hi <script>alert(1)</script><a href="javascript:x()">x</a>')
    send_now(utc(2026, 3, 2, 13))
    html = mailbox.wait_for(1)[0].get_body(("html",)).get_content()
    assert "<script" not in html and "javascript:" not in html


def test_free_signup_sends_nothing_until_confirmed(api_client, mailbox, send_now, django_capture_on_commit_callbacks):
    program = program_with_steps(2, slug="starter", is_public=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/programs/starter/signup/",
            {"email": "new@example.com", "name": "Noa", "timezone": "Europe/Berlin", "send_hour": 7},
            format="json",
        )
    assert response.status_code == 202
    assert response.json()["status"] == "pending_confirmation"
    enrollment = Enrollment.objects.get(program=program)
    assert enrollment.status == Enrollment.Status.PENDING_CONFIRMATION
    assert not enrollment.deliveries.exists()
    (confirmation,) = mailbox.wait_for(1)
    assert "List-Unsubscribe" not in confirmation
    link = re.search(r"https?://\S+/programs/\S+/confirm/", confirmation.get_body(("plain",)).get_content()).group(0)

    assert send_now(dt.datetime.now(dt.UTC) + dt.timedelta(days=30)) == []  # nothing before the click
    assert len(mailbox) == 1

    path = urlsplit(link).path
    browser = Client()
    assert browser.get(path).status_code == 200  # a link scanner's GET changes nothing
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.PENDING_CONFIRMATION
    assert browser.post(path).status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.timezone == "Europe/Berlin" and enrollment.send_hour == 7
    assert enrollment.deliveries.count() == 2
    browser.post(path)  # a second click changes nothing
    assert enrollment.deliveries.count() == 2
    assert send_now(enrollment.deliveries.get(step__day=0).due_at) == [dispatch.Outcome.SENT]
    assert len(mailbox.wait_for(2)) == 2


def test_signing_up_again_while_pending_resends_the_link_only(
    api_client, mailbox, django_capture_on_commit_callbacks, monkeypatch
):
    program_with_steps(1, slug="starter", is_public=True)
    for minutes in (0, 10):  # a re-send waits ten minutes (issue 10, item 5)
        monkeypatch.setattr(timezone, "now", lambda minutes=minutes: MONDAY + dt.timedelta(minutes=minutes))
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                api_client.post("/api/programs/starter/signup/", {"email": "n@example.com"}, format="json").status_code
                == 202
            )
    assert Enrollment.objects.count() == 1
    assert len(mailbox.wait_for(2)) == 2


def test_staff_enrollment_starts_at_the_next_send_hour():
    enrollment = _ny_enrollment(steps=3, send_hour=6)  # enrolled Monday 07:00, after today's 06:00
    assert enrollment.origin == "staff" and enrollment.status == Enrollment.Status.ACTIVE
    assert _due_local(enrollment) == ["03-03 06:00", "03-04 06:00", "03-05 06:00"]


def test_resuming_late_in_the_day_waits_for_tomorrow(send_now, mailbox):
    enrollment = _ny_enrollment(steps=3)
    send_now(utc(2026, 3, 2, 13))
    enrollments.pause(enrollment=enrollment, now=utc(2026, 3, 3, 10))  # Tuesday 05:00, before lesson 2
    enrollments.resume(enrollment=enrollment, now=utc(2026, 3, 4, 2))  # Tuesday 21:00: today's 08:00 is past
    assert _due_local(enrollment) == ["03-02 08:00", "03-04 08:00", "03-05 08:00"]
    assert send_now(utc(2026, 3, 4, 2, 1)) == []  # nothing at night


def test_change_send_hour_moves_the_unsent_lessons(send_now, mailbox):
    enrollment = _ny_enrollment(steps=3)
    send_now(utc(2026, 3, 2, 13))
    enrollments.change_send_time(enrollment=enrollment, send_hour=18, timezone_name="Europe/Berlin")
    local = [
        d.due_at.astimezone(ZoneInfo("Europe/Berlin")).hour for d in enrollment.deliveries.filter(status="scheduled")
    ]
    assert local == [18, 18]


def test_provider_webhook_bounce_suppresses_and_garbage_is_400(settings, rf):
    """The endpoint path: anymail's own Postmark view (with basic auth), behind our guard."""
    import base64
    import json

    from anymail.webhooks.postmark import PostmarkTrackingWebhookView
    from django.core.exceptions import SuspiciousOperation

    from programs.webhooks import refuse_unreadable

    settings.ANYMAIL = {"WEBHOOK_SECRET": "user:pass"}
    view = refuse_unreadable(PostmarkTrackingWebhookView.as_view())
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"user:pass").decode()}
    bounce = {"RecordType": "Bounce", "Type": "HardBounce", "Email": "Gone@Example.com", "ID": 42, "MessageID": "m1"}
    response = view(rf.post("/anymail/postmark/tracking/", json.dumps(bounce), content_type="application/json", **auth))
    assert response.status_code == 200
    assert Suppression.objects.get(email="gone@example.com").reason == Suppression.Reason.HARD_BOUNCE
    garbage = rf.post("/anymail/postmark/tracking/", "{not json", content_type="application/json", **auth)
    assert view(garbage).status_code == 400
    stranger = rf.post("/anymail/postmark/tracking/", json.dumps(bounce), content_type="application/json")
    with pytest.raises(SuspiciousOperation):  # Django answers 400
        view(stranger)


def test_confirmation_and_manage_links_are_redacted_in_the_request_log():
    from core.redaction import redact_path

    enrollment = Enrollment(pk=1, token="A" * 43)
    signed = confirmations.signup_token(enrollment)
    for path in [f"/programs/{signed}/confirm/", f"/programs/{enrollment.token}/unsubscribe/"]:
        assert signed not in redact_path(path) and enrollment.token not in redact_path(path)
