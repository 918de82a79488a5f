"""Each lesson is sent exactly once: concurrent passes, duplicate tasks, a worker killed mid-send."""

import datetime as dt
import smtplib
import threading

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.core.management import CommandError, call_command
from django.db import connections
from django_celery_beat.models import PeriodicTask

from programs import dispatch, enrollments, tasks
from programs.models import Delivery
from tests.factories import program_with_steps
from tests.programs.conftest import utc

START = utc(2026, 5, 4, 6)  # a Monday, 08:00 in Berlin
DUE = START + dt.timedelta(hours=3)


def _enroll_many(count: int, steps: int = 1):
    program = program_with_steps(steps)
    return [
        enrollments.enroll(
            program=program, email=f"p{n}@example.com", origin="staff", timezone_name="Europe/Berlin", now=START
        )
        for n in range(count)
    ]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_passes_send_each_lesson_once(mailbox):
    _enroll_many(40)
    barrier = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors = []

    def run(name):
        try:
            barrier.wait()
            dispatch.dispatch_due_deliveries(now=DUE, batch_size=3, enqueue=claimed[name].extend)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=run, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == 40
    for pk in claimed["a"] + claimed["b"]:
        assert dispatch.deliver(delivery_id=pk, final_attempt=False) is dispatch.Outcome.SENT
    messages = mailbox.wait_for(40)
    assert len(messages) == 40
    assert len({m["To"] for m in messages}) == 40
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 40


@pytest.mark.django_db
def test_a_send_task_run_twice_sends_once(mailbox, django_capture_on_commit_callbacks):
    (enrollment,) = _enroll_many(1)
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=DUE, enqueue=claimed.extend)
    (pk,) = claimed
    tasks.send_delivery.apply(args=[pk])  # as the worker runs it
    tasks.send_delivery.apply(args=[pk])  # redelivered (acks_late) or enqueued twice
    assert len(mailbox.wait_for(1)) == 1
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1


@pytest.mark.django_db
def test_a_delivery_left_sending_by_a_killed_worker_is_sent_once_after_the_reaper(mailbox, send_now):
    (enrollment,) = _enroll_many(1)
    delivery = enrollment.deliveries.get()
    # The worker claimed it an hour ago and died before sending.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENDING, claimed_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    assert dispatch.requeue_stuck_deliveries(older_than=dt.timedelta(hours=2)) == 0  # not stuck yet by that rule
    assert send_now(DUE) == [dispatch.Outcome.SENT]  # the pass runs the reaper first (15 minutes)
    assert send_now(DUE) == []
    assert send_now(DUE + dt.timedelta(days=30)) == []
    assert len(mailbox.wait_for(1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


@pytest.mark.django_db
def test_a_recent_sending_row_is_left_alone_by_the_reaper():
    (enrollment,) = _enroll_many(1)
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=dt.datetime.now(dt.UTC))
    assert dispatch.requeue_stuck_deliveries() == 0


@pytest.mark.django_db
def test_nothing_is_claimed_before_it_is_due(send_now, mailbox):
    _enroll_many(2, steps=2)
    assert send_now(START - dt.timedelta(minutes=1)) == []  # 07:59 in Berlin
    assert send_now(DUE) == [dispatch.Outcome.SENT] * 2  # day 0 only
    assert len(mailbox.wait_for(2)) == 2


@pytest.mark.django_db
def test_transient_smtp_error_retries_then_fails_after_the_last_try(settings, django_capture_on_commit_callbacks):
    (enrollment,) = _enroll_many(1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=DUE, enqueue=claimed.extend)
    (pk,) = claimed
    assert dispatch.deliver(delivery_id=pk, final_attempt=False) is dispatch.Outcome.RETRY
    delivery = Delivery.objects.get(pk=pk)
    assert delivery.status == Delivery.Status.SENDING and delivery.attempts == 1 and delivery.last_error
    assert dispatch.deliver(delivery_id=pk, final_attempt=True) is dispatch.Outcome.FAILED
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 2
    assert dispatch.resend_failed(delivery=delivery)
    assert Delivery.objects.get(pk=pk).status == Delivery.Status.SCHEDULED


def test_retry_countdowns_back_off_with_jitter_below_the_visibility_timeout(settings):
    countdowns = [dispatch.retry_countdown(n) for n in range(dispatch.MAX_RETRIES + 1)]
    assert countdowns[0] <= 30 and countdowns[-1] <= dispatch.RETRY_CAP_SECONDS
    assert sum(countdowns) < dispatch.STUCK_AFTER.total_seconds() * 2
    assert max(countdowns) < dispatch.STUCK_AFTER.total_seconds()
    assert max(countdowns) < 3600  # Redis visibility_timeout in settings
    assert len({dispatch.retry_countdown(3) for _ in range(20)}) > 1  # jitter


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPResponseException(451, b"try later"), True),
        (smtplib.SMTPResponseException(550, b"no such user"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no")}), False),
        (ConnectionRefusedError(), True),
        (ValueError("template bug"), False),
        (AnymailAPIError("provider down", status_code=503), True),
        (AnymailAPIError("rate limited", status_code=429), True),
        (AnymailAPIError("bad request", status_code=400), False),
        (AnymailRecipientsRefused("all refused"), False),
    ],
)
def test_which_errors_are_worth_a_retry(error, transient):
    assert dispatch.is_transient(error) is transient


@pytest.mark.django_db
def test_beat_tick_is_registered_every_minute():
    task = PeriodicTask.objects.get(task="programs.dispatch_due_deliveries")
    assert task.enabled and task.interval.every == 1 and task.interval.period == "minutes"


@pytest.mark.django_db
def test_send_due_emails_command(capsys, django_capture_on_commit_callbacks, monkeypatch):
    _enroll_many(2)
    sent = []
    monkeypatch.setattr(tasks, "enqueue_sends", sent.extend)  # the broker is the edge here
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_due_emails", "--now", "2026-05-04T12:00:00Z")
    assert "claimed 2" in capsys.readouterr().out
    assert len(sent) == 2
    with pytest.raises(CommandError):
        call_command("send_due_emails", "--now", "yesterday-ish")


@pytest.mark.django_db
def test_claim_query_uses_the_partial_index(django_assert_max_num_queries):
    _enroll_many(5)
    # Whatever the number of rows: reaper (savepoint, select, release), one batch (savepoint, select, update, release).
    with django_assert_max_num_queries(7):
        dispatch.dispatch_due_deliveries(now=DUE, batch_size=10, enqueue=lambda ids: None)


@pytest.mark.django_db(transaction=True)
def test_the_same_send_task_running_twice_at_once_sends_once(mailbox):
    (enrollment,) = _enroll_many(1)
    claimed = []
    dispatch.dispatch_due_deliveries(now=DUE, enqueue=claimed.extend)  # autocommit: on_commit runs at once
    (pk,) = claimed
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            barrier.wait()
            outcomes.append(dispatch.deliver(delivery_id=pk, final_attempt=False))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == sorted([dispatch.Outcome.SENT, dispatch.Outcome.NOTHING])
    assert len(mailbox.wait_for(1)) == 1
    assert Delivery.objects.get(pk=pk).attempts == 1
