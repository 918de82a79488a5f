"""Issue 16: a send task sends its chunk of lessons over one SMTP connection, and each lesson keeps its own
guarantees (locked, re-checked, sent at most once, recorded, retried alone). The SMTP server here is a real
aiosmtpd server that counts its sessions and can refuse, defer or drop chosen recipients."""

import datetime as dt
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.smtp_sink import SmtpSink
from programs import dispatch, enrollments, lessons, tasks
from programs.models import Delivery, Enrollment
from tests.factories import program_with_steps
from tests.programs.conftest import utc

START = utc(2026, 5, 4, 6)  # a Monday, 08:00 in Berlin
DUE = START + dt.timedelta(hours=3)


class ScriptedServer:
    """An aiosmtpd handler: counts sessions (one EHLO each), keeps who got a message, and answers chosen
    recipients once with a chosen RCPT reply or by dropping the connection at DATA."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sessions = 0
        self.delivered: list[str] = []
        self.rcpt_replies: dict[str, str] = {}
        self.drop_at_data: set[str] = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        with self.lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = self.rcpt_replies.pop(address, None)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        dropped = self.drop_at_data & set(envelope.rcpt_tos)
        if dropped:
            self.drop_at_data -= dropped
            server.transport.close()  # gone before the reply: the client sees SMTPServerDisconnected
            return "421 gone"
        with self.lock:
            self.delivered.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


class ScriptedSink(SmtpSink):
    def __init__(self, handler: ScriptedServer):
        self.collector = handler
        Controller.__init__(self, handler, hostname="127.0.0.1", port=0)


@pytest.fixture
def smtp_server(settings):
    """Django's SMTP backend pointed at a ScriptedServer for this test."""
    handler = ScriptedServer()
    sink = ScriptedSink(handler)
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    sink.stop()


@pytest.fixture
def quick_retries(monkeypatch):
    """Backoff in tenths of a second instead of half-minutes, so a retry arrives within the test."""
    monkeypatch.setattr(dispatch, "RETRY_BASE_SECONDS", 0.2)


def _enroll(count: int, steps: int = 1) -> list[Enrollment]:
    program = program_with_steps(steps)
    return [
        enrollments.enroll(
            program=program, email=f"p{n}@example.com", origin="staff", timezone_name="Europe/Berlin", now=START
        )
        for n in range(count)
    ]


def _wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _through_the_worker(smtp_server: ScriptedServer, count: int) -> None:
    """Enroll `count` people (staff enrollments: no welcome mail), then one dispatch pass whose sends go through
    Redis to the worker."""
    _enroll(count)
    assert dispatch.dispatch_due_deliveries(now=DUE, enqueue=tasks.enqueue_sends) == count
    _wait_until(lambda: not Delivery.objects.filter(status=Delivery.Status.SENDING).exists())


def _rows() -> dict[str, Delivery]:
    return {d.enrollment.email: d for d in Delivery.objects.select_related("enrollment")}


@pytest.mark.celery
def test_issue16_a_batch_of_lessons_goes_over_one_smtp_connection_per_send_task(celery_worker, smtp_server):
    _through_the_worker(smtp_server, 60)  # two send tasks: 50 + 10
    assert sorted(smtp_server.delivered) == sorted(f"p{n}@example.com" for n in range(60))
    assert smtp_server.sessions == 2  # one per task of up to tasks.SEND_CHUNK lessons; it was one per lesson
    assert {(row.status, row.attempts) for row in _rows().values()} == {(Delivery.Status.SENT, 1)}


@pytest.mark.celery
def test_issue16_a_transient_4xx_retries_only_that_lesson(celery_worker, smtp_server, quick_retries):
    smtp_server.rcpt_replies["p3@example.com"] = "451 4.3.0 Mailbox busy, try again later"
    _through_the_worker(smtp_server, 10)
    _wait_until(lambda: "p3@example.com" in smtp_server.delivered)  # the retry, a moment later
    assert sorted(smtp_server.delivered) == sorted(f"p{n}@example.com" for n in range(10))  # each once
    rows = _rows()
    assert (rows["p3@example.com"].status, rows["p3@example.com"].attempts) == (Delivery.Status.SENT, 2)
    assert {(r.status, r.attempts) for e, r in rows.items() if e != "p3@example.com"} == {(Delivery.Status.SENT, 1)}
    # The batch's connection, reopened after the failure for the other lessons, and the retry's own.
    assert smtp_server.sessions == 3


@pytest.mark.celery
def test_issue16_a_permanent_5xx_fails_only_that_lesson(celery_worker, smtp_server, quick_retries):
    smtp_server.rcpt_replies["p3@example.com"] = "550 5.1.1 No such user"
    _through_the_worker(smtp_server, 10)
    time.sleep(1)  # a retry, if one were queued, would have come by now
    assert sorted(smtp_server.delivered) == sorted(f"p{n}@example.com" for n in range(10) if n != 3)
    rows = _rows()
    failed = rows.pop("p3@example.com")
    assert failed.status == Delivery.Status.FAILED and failed.attempts == 1 and "550" in failed.last_error
    assert {(r.status, r.attempts) for r in rows.values()} == {(Delivery.Status.SENT, 1)}


@pytest.mark.celery
def test_issue16_a_connection_dropped_mid_batch_is_reopened_for_the_rest(celery_worker, smtp_server, quick_retries):
    smtp_server.drop_at_data.add("p3@example.com")
    _through_the_worker(smtp_server, 10)
    _wait_until(lambda: "p3@example.com" in smtp_server.delivered)
    assert sorted(smtp_server.delivered) == sorted(f"p{n}@example.com" for n in range(10))
    rows = _rows()
    assert rows["p3@example.com"].attempts == 2  # the dropped try, then its retry
    assert {r.status for r in rows.values()} == {Delivery.Status.SENT}
    assert smtp_server.sessions == 3  # before the drop, after it, and the retry


@pytest.mark.django_db
def test_issue16_the_last_try_of_a_transient_failure_fails_the_lesson_instead_of_retrying(smtp_server):
    first, last = _enroll(2)
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=DUE)
    Delivery.objects.filter(enrollment=last).update(attempts=dispatch.MAX_RETRIES)
    smtp_server.rcpt_replies.update({"p0@example.com": "451 later", "p1@example.com": "451 later"})
    retries = []
    ids = [first.deliveries.get().pk, last.deliveries.get().pk]
    outcomes = dispatch.deliver_batch(delivery_ids=ids, retry_later=lambda pk, countdown: retries.append(pk))
    assert outcomes == [dispatch.Outcome.RETRY, dispatch.Outcome.FAILED]
    assert retries == [ids[0]]  # only the one with tries left, alone
    assert Delivery.objects.get(pk=ids[1]).attempts == dispatch.MAX_RETRIES + 1


@pytest.mark.django_db
def test_issue16_a_retry_the_broker_cannot_take_is_left_to_the_reaper_and_the_batch_goes_on(smtp_server):
    _enroll(2)
    Delivery.objects.update(status=Delivery.Status.SENDING, claimed_at=DUE)
    smtp_server.rcpt_replies["p0@example.com"] = "451 later"

    def broker_down(delivery_id, countdown):
        raise ConnectionError("Redis is away")

    ids = list(Delivery.objects.order_by("enrollment__email").values_list("pk", flat=True))
    assert dispatch.deliver_batch(delivery_ids=ids, retry_later=broker_down) == [
        dispatch.Outcome.RETRY,
        dispatch.Outcome.SENT,
    ]
    assert smtp_server.delivered == ["p1@example.com"]
    waiting = Delivery.objects.get(pk=ids[0])
    assert waiting.status == Delivery.Status.SENDING and waiting.attempts == 1  # the reaper's, in 15 minutes


@pytest.mark.django_db
def test_issue16_a_batch_cut_short_leaves_the_rest_sending_and_the_reaper_sends_each_once(
    smtp_server, monkeypatch, django_capture_on_commit_callbacks
):
    _enroll(5)
    real_send, calls = lessons.send_lesson, []

    def killed_at_the_third(delivery, **kwargs):
        calls.append(delivery.pk)
        if len(calls) == 3:
            raise SystemExit("worker killed")  # not an Exception: nothing in the batch catches it
        return real_send(delivery, **kwargs)

    monkeypatch.setattr(lessons, "send_lesson", killed_at_the_third)
    claimed = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=DUE, enqueue=claimed.extend)
    with pytest.raises(SystemExit):
        dispatch.deliver_batch(delivery_ids=claimed, retry_later=lambda pk, countdown: None)
    assert len(smtp_server.delivered) == 2
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in claimed] == ["sent", "sent", "sending", "sending", "sending"]
    assert Delivery.objects.get(pk=claimed[2]).attempts == 0  # the interrupted try left no trace

    monkeypatch.setattr(lessons, "send_lesson", real_send)
    Delivery.objects.filter(status=Delivery.Status.SENDING).update(claimed_at=DUE - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):  # the next pass: the reaper, then the claim
        dispatch.dispatch_due_deliveries(
            now=DUE, enqueue=lambda ids: dispatch.deliver_batch(delivery_ids=ids, retry_later=None)
        )
    assert sorted(smtp_server.delivered) == sorted(f"p{n}@example.com" for n in range(5))  # each once
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


@pytest.mark.django_db
def test_issue16_a_lesson_in_a_batch_costs_the_same_few_queries(smtp_server, django_capture_on_commit_callbacks):
    _enroll(25, steps=2)  # none of the lessons sent here is its enrollment's last
    ids = []
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.dispatch_due_deliveries(now=DUE, enqueue=ids.extend)
    assert len(ids) == 25
    counts = []
    for chunk in (ids[:5], ids[5:]):
        with CaptureQueriesContext(connection) as queries:
            dispatch.deliver_batch(delivery_ids=chunk, retry_later=None)
        counts.append(len(queries))
    per_lesson = (counts[1] - counts[0]) / 15
    assert per_lesson == LESSON_QUERIES, counts
    assert len(smtp_server.delivered) == 25


# Per lesson: savepoint, lock (with what the checks need), the suppression list, the row's update, release.
LESSON_QUERIES = 5
