"""Lessons staff add, move or delete after people enrolled reach (or stop reaching) them."""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.suppression import suppress
from programs import dispatch, enrollments, scheduling, signups
from programs.models import Delivery, Enrollment, Step
from tests.factories import StepFactory, program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
PAST_MONDAY = utc(2026, 3, 2, 12)  # 07:00 in New York, 13:00 in Berlin
FUTURE_MONDAY = utc(2030, 3, 4, 12)  # far ahead of the clock: nothing of it has passed
WEEKDAYS_ONLY = [0, 1, 2, 3, 4]


def _enroll(program, email, *, now, zone="America/New_York", hour=None) -> Enrollment:
    return enrollments.enroll(program=program, email=email, origin="staff", timezone_name=zone, send_hour=hour, now=now)


def _local(delivery: Delivery, zone: ZoneInfo = NY) -> str:
    return delivery.due_at.astimezone(zone).strftime("%a %m-%d %H:%M")


def test_an_added_step_reaches_active_and_paused_enrollments_at_their_local_hour():
    program = program_with_steps(3, send_weekdays=WEEKDAYS_ONLY)
    ny = _enroll(program, "ny@example.com", now=FUTURE_MONDAY)
    berlin = _enroll(program, "berlin@example.com", now=FUTURE_MONDAY, zone="Europe/Berlin", hour=19)
    paused = _enroll(program, "paused@example.com", now=FUTURE_MONDAY)
    enrollments.pause(enrollment=paused, now=FUTURE_MONDAY)

    step = StepFactory(program=program, day=5)  # staff add a sixth lesson (the post_save path)

    # Day 5 in Monday–Friday send days is the next Monday; New York has moved to daylight time by then
    # (2030-03-10), Berlin not yet: the local hour stays, the UTC instant moves for one and not the other.
    ny_row = ny.deliveries.get(step=step)
    assert (_local(ny_row), ny_row.status) == ("Mon 03-11 08:00", Delivery.Status.SCHEDULED)
    assert ny_row.due_at == utc(2030, 3, 11, 12)
    berlin_row = berlin.deliveries.get(step=step)
    assert (_local(berlin_row, BERLIN), berlin_row.due_at) == ("Mon 03-11 19:00", utc(2030, 3, 11, 18))
    held = paused.deliveries.get(step=step)
    assert (_local(held), held.status) == ("Mon 03-11 08:00", Delivery.Status.HELD)

    # Exactly what enrolling now would have scheduled for the same anchor.
    fresh = _enroll(program, "fresh@example.com", now=FUTURE_MONDAY)
    assert fresh.deliveries.get(step=step).due_at == ny_row.due_at

    # Resuming two days later moves the added lesson with the others.
    enrollments.resume(enrollment=paused, now=FUTURE_MONDAY + dt.timedelta(days=2))
    held.refresh_from_db()
    assert (_local(held), held.status) == ("Wed 03-13 08:00", Delivery.Status.SCHEDULED)


def test_an_added_step_is_idempotent_and_works_in_batches():
    program = program_with_steps(2)
    people = [_enroll(program, f"p{n}@example.com", now=FUTURE_MONDAY) for n in range(9)]
    step = StepFactory(program=program, day=2)
    assert Delivery.objects.filter(step=step).count() == 9
    Delivery.objects.filter(step=step, enrollment__in=people[:4]).delete()
    again = scheduling.schedule_step_for_enrollments(step=step, batch_size=2)
    assert again == {"created": 4, "moved": 0, "dropped": 0}
    assert scheduling.schedule_step_for_enrollments(step=step) == {"created": 0, "moved": 0, "dropped": 0}
    assert Delivery.objects.filter(step=step).count() == 9


def test_an_added_step_skips_finished_stopped_and_unconfirmed_enrollments(send_now, mailbox):
    program = program_with_steps(1)
    completed = _enroll(program, "done@example.com", now=PAST_MONDAY)
    send_now(utc(2026, 3, 2, 13))  # the one lesson goes out: completed
    completed.refresh_from_db()
    assert completed.status == Enrollment.Status.COMPLETED
    unsubscribed = enrollments.unsubscribe(enrollment=_enroll(program, "gone@example.com", now=FUTURE_MONDAY))
    cancelled = enrollments.cancel(enrollment=_enroll(program, "cancel@example.com", now=FUTURE_MONDAY))
    bounced = _enroll(program, "bounce@example.com", now=FUTURE_MONDAY)
    suppress(email=bounced.email, reason="hard_bounce")
    pending = signups.signup(program=program, email="pending@example.com")
    active = _enroll(program, "active@example.com", now=FUTURE_MONDAY)

    step = StepFactory(program=program, day=1)
    # Even with a clock at which the day is still ahead for everyone, only the active enrollment qualifies.
    scheduling.schedule_step_for_enrollments(step=step, now=utc(2026, 3, 1))

    assert list(Delivery.objects.filter(step=step).values_list("enrollment__email", flat=True)) == [active.email]
    for enrollment in (completed, unsubscribed, cancelled, bounced, pending):
        enrollment.refresh_from_db()
        assert enrollment.status != Enrollment.Status.ACTIVE
    # The unconfirmed signup gets the new lesson with the others once it confirms.
    signups.confirm_signup(enrollment=pending, now=FUTURE_MONDAY)
    assert pending.deliveries.filter(step=step).count() == 1


def test_an_added_step_is_never_back_dated():
    program = program_with_steps(1)  # day 0; days 1 and 2 are added below
    enrollment = _enroll(program, "pat@example.com", now=PAST_MONDAY)  # day 1 is Tue 03-03 08:00 New York

    step = StepFactory(program=program, day=1)  # by the real clock that Tuesday is long gone
    assert not enrollment.deliveries.filter(step=step).exists()
    after = scheduling.schedule_step_for_enrollments(step=step, now=utc(2026, 3, 3, 13, 1))  # 08:01 that Tuesday
    assert after["created"] == 0 and not enrollment.deliveries.filter(step=step).exists()
    before = scheduling.schedule_step_for_enrollments(step=step, now=utc(2026, 3, 3, 12, 59))  # 07:59
    assert before["created"] == 1
    assert _local(enrollment.deliveries.get(step=step)) == "Tue 03-03 08:00"


def test_a_paused_enrollment_gets_a_lesson_due_after_its_pause_and_not_one_before():
    program = program_with_steps(1)
    enrollment = _enroll(program, "pat@example.com", now=PAST_MONDAY)
    enrollments.pause(enrollment=enrollment, now=utc(2026, 3, 4, 10))  # Wednesday 05:00 New York
    tuesday = StepFactory(program=program, day=1)  # was due before the pause: passed
    thursday = StepFactory(program=program, day=3)  # was due during the pause: still ahead of them
    assert not enrollment.deliveries.filter(step=tuesday).exists()
    held = enrollment.deliveries.get(step=thursday)
    assert held.status == Delivery.Status.HELD

    enrollments.resume(enrollment=enrollment, now=utc(2026, 3, 9, 11))  # the next Monday, 07:00
    held.refresh_from_db()
    assert held.status == Delivery.Status.SCHEDULED
    assert held.due_at > utc(2026, 3, 9, 11)  # after the resume, not at once


def test_moving_a_step_reschedules_its_unsent_deliveries(send_now, mailbox):
    program = program_with_steps(3)
    ahead = _enroll(program, "ahead@example.com", now=FUTURE_MONDAY)
    paused = _enroll(program, "paused@example.com", now=FUTURE_MONDAY)
    enrollments.pause(enrollment=paused, now=FUTURE_MONDAY)
    started = _enroll(program, "started@example.com", now=PAST_MONDAY)
    send_now(utc(2026, 3, 2, 13))  # started's first lesson went out
    first, _, last = program.steps.order_by("day")

    last.day = 9
    last.save()  # the post_save path sees the day moved
    assert _local(ahead.deliveries.get(step=last)) == "Wed 03-13 08:00"
    assert _local(paused.deliveries.get(step=last)) == "Wed 03-13 08:00"
    assert paused.deliveries.get(step=last).status == Delivery.Status.HELD
    # Moved for `started` to 03-11, long before the real clock: not sent late, dropped.
    assert not started.deliveries.filter(step=last).exists()

    first = Step.objects.get(pk=first.pk)
    first.day = 7
    first.save()
    sent = started.deliveries.get(step=first)
    assert sent.status == Delivery.Status.SENT and _local(sent) == "Mon 03-02 08:00"  # history stays
    assert _local(ahead.deliveries.get(step=first)) == "Mon 03-11 08:00"

    # An edit that does not move the day leaves the dates (and does not run the pass).
    first.subject = "Lesson one, reworded"
    before = sorted(Delivery.objects.filter(step=first).values_list("pk", "due_at", "updated_at"))
    first.save()
    assert sorted(Delivery.objects.filter(step=first).values_list("pk", "due_at", "updated_at")) == before


def test_deleting_a_step_leaves_no_scheduled_delivery_and_completes_whom_it_ends(send_now, mailbox):
    program = program_with_steps(2)
    ahead = _enroll(program, "ahead@example.com", now=FUTURE_MONDAY)
    almost = _enroll(program, "almost@example.com", now=PAST_MONDAY)
    paused = _enroll(program, "paused@example.com", now=PAST_MONDAY)
    send_now(utc(2026, 3, 2, 13))  # lesson 1 to both March enrollments; lesson 2 is still scheduled
    enrollments.pause(enrollment=paused, now=utc(2026, 3, 2, 14))
    last = program.steps.get(day=1)

    last.delete()

    assert not Delivery.objects.filter(status__in=[Delivery.Status.SCHEDULED, Delivery.Status.HELD]).exclude(
        enrollment=ahead
    )
    assert list(ahead.deliveries.values_list("step__day", "status")) == [(0, Delivery.Status.SCHEDULED)]
    almost.refresh_from_db()
    assert almost.status == Enrollment.Status.COMPLETED  # its only unsent lesson is gone
    paused.refresh_from_db()
    assert paused.status == Enrollment.Status.PAUSED
    assert enrollments.resume(enrollment=paused, now=utc(2026, 3, 5)).status == Enrollment.Status.COMPLETED
    paused.refresh_from_db()
    assert paused.status == Enrollment.Status.COMPLETED
    assert send_now(utc(2030, 12, 31))  # ahead's remaining lesson still goes out
    assert [m["Subject"] for m in mailbox.wait_for(3)] == ["Lesson 1", "Lesson 1", "Lesson 1"]


def test_completion_waits_for_a_step_added_after_enrolling(send_now, mailbox):
    program = program_with_steps(2)
    enrollment = _enroll(program, "pat@example.com", now=PAST_MONDAY)
    send_now(utc(2026, 3, 2, 13))  # lesson 1, Monday
    added = StepFactory(program=program, day=2, subject="Bonus lesson")
    scheduling.schedule_step_for_enrollments(step=added, now=utc(2026, 3, 2, 14))  # added on Monday afternoon

    assert send_now(utc(2026, 3, 3, 13)) == [dispatch.Outcome.SENT]  # the formerly last lesson
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE  # the bonus lesson is still ahead
    assert send_now(utc(2026, 3, 4, 13)) == [dispatch.Outcome.SENT]
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert [m["Subject"] for m in mailbox.wait_for(3)][-1] == "Bonus lesson"


def test_staff_adding_a_lesson_in_the_admin_schedules_it(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    program = program_with_steps(2)
    enrollment = _enroll(program, "pat@example.com", now=FUTURE_MONDAY)
    answer = client.post(
        "/admin/programs/step/add/",
        {"program": program.pk, "day": 4, "subject": "Added by staff", "body": "Ten slow points.", "video_url": ""},
    )
    assert answer.status_code == 302, answer.content[:2000]
    row = enrollment.deliveries.get(step__subject="Added by staff")
    assert _local(row) == "Fri 03-08 08:00"


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as context:
        run()
    return len(context.captured_queries)


def test_scheduling_queries_do_not_grow_with_enrollments():
    small, large = program_with_steps(1), program_with_steps(1)
    for n in range(5):
        _enroll(small, f"s{n}@example.com", now=FUTURE_MONDAY)
    paused = [_enroll(large, f"l{n}@example.com", now=FUTURE_MONDAY) for n in range(50)]
    for enrollment in paused[::5]:
        enrollments.pause(enrollment=enrollment, now=FUTURE_MONDAY)

    added = [_queries(lambda p=p: StepFactory(program=p, day=3)) for p in (small, large)]
    assert added[0] == added[1]
    assert Delivery.objects.filter(step__program=large, step__day=3).count() == 50

    def move(program):
        step = program.steps.get(day=3)
        step.day = 5
        step.save()

    moved = [_queries(lambda p=p: move(p)) for p in (small, large)]
    assert moved[0] == moved[1]
    assert Delivery.objects.filter(step__program=large, step__day=5, due_at__gte=utc(2030, 3, 9)).count() == 50

    deleted = [_queries(lambda p=p: p.steps.get(day=5).delete()) for p in (small, large)]
    assert deleted[0] == deleted[1]
    assert not Delivery.objects.filter(step__program=large, step__day=5).exists()

    step = StepFactory(program=large, day=8)
    Delivery.objects.filter(step=step).delete()
    with CaptureQueriesContext(connection) as context:
        assert scheduling.schedule_step_for_enrollments(step=step)["created"] == 50
    assert len(context.captured_queries) <= 10


def test_a_failed_last_lesson_resent_by_staff_reopens_the_program_until_it_is_sent(
    settings, mailbox, django_capture_on_commit_callbacks, send_now
):
    enrollment = _enroll(program_with_steps(1), "pat@example.com", now=PAST_MONDAY)
    sink_port = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = 9, 2  # nothing listens: the one lesson fails for good
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=utc(2026, 3, 2, 13), enqueue=claimed.extend)
    assert dispatch.deliver(delivery_id=claimed[0], final_attempt=True) is dispatch.Outcome.FAILED
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED  # given up: nothing left to send

    settings.EMAIL_PORT = sink_port
    assert dispatch.resend_failed_deliveries(enrollment.deliveries.all()) == 1
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.ACTIVE  # otherwise the resend would be skipped
    assert send_now() == [dispatch.Outcome.SENT]
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert [m["Subject"] for m in mailbox.wait_for(1)] == ["Lesson 1"]


def test_a_lesson_for_a_big_program_is_scheduled_by_the_worker_after_the_commit(celery_worker, monkeypatch):
    monkeypatch.setattr(scheduling, "INLINE_STEP_ENROLLMENTS", 2)  # "big" is three here
    program = program_with_steps(1)
    people = [_enroll(program, f"p{n}@example.com", now=FUTURE_MONDAY) for n in range(3)]
    step = StepFactory(program=program, day=1)  # autocommit: the task is sent at once
    deadline = time.monotonic() + 30
    while Delivery.objects.filter(step=step).count() < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(Delivery.objects.filter(step=step).values_list("enrollment_id", flat=True)) == sorted(
        person.pk for person in people
    )
    assert {_local(row) for row in Delivery.objects.filter(step=step)} == {"Tue 03-05 08:00"}


def test_a_lesson_moved_to_another_program_leaves_the_old_one():
    old, new = program_with_steps(2), program_with_steps(1)
    stays = _enroll(old, "stays@example.com", now=FUTURE_MONDAY)
    joins = _enroll(new, "joins@example.com", now=FUTURE_MONDAY)
    step = Step.objects.get(program=old, day=1)
    step.program = new
    step.save()
    assert not stays.deliveries.filter(step=step).exists()
    assert _local(joins.deliveries.get(step=step)) == "Tue 03-05 08:00"
