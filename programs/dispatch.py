"""The drip scheduler: claim due deliveries, send each one once, return the stuck ones.

The database is the schedule. A beat tick every minute runs `dispatch_due_deliveries`;
no task is ever enqueued with a long ETA. This module does not know Celery: the caller
hands a pass the function that queues the sends (`programs.tasks.enqueue_sends`).
"""

import contextlib
import datetime as dt
import enum
import functools
import logging
import random
import smtplib
from collections.abc import Callable, Iterable

from anymail.exceptions import AnymailAPIError, AnymailError
from django.db import connections, router, transaction
from django.utils import timezone

from core.mail import mail_connection
from core.redaction import mask_email
from programs import enrollments, lessons
from programs.models import Delivery, Enrollment, Step

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
STUCK_AFTER = dt.timedelta(minutes=15)  # longer than any retry countdown below
MAX_RETRIES = 5
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 600  # far below the broker's visibility timeout (3600 s)


class Outcome(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    HELD = "held"
    RETRY = "retry"
    NOTHING = "nothing"  # not ours to send (already sent, or another worker holds it)


def retry_countdown(retries: int) -> float:
    """Exponential backoff with jitter: 30 s, 60 s, 120 s … capped at 10 minutes."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**retries)
    return round(random.uniform(ceiling / 2, ceiling), 1)


def claim_due_deliveries(*, now: dt.datetime, batch_size: int = BATCH_SIZE) -> list[int]:
    """Mark up to `batch_size` due deliveries `sending` and return their ids.

    Must run inside a transaction: the rows stay locked until it commits, and
    `SKIP LOCKED` lets a concurrent pass take the next rows instead of waiting or
    taking the same ones.
    """
    ids = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(status=Delivery.Status.SCHEDULED, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    if ids:
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.SENDING, claimed_at=timezone.now(), updated_at=timezone.now()
        )
    return ids


def dispatch_due_deliveries(
    *,
    enqueue: Callable[[list[int]], None],
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """One pass: return stuck deliveries, then claim every due one, batch by batch.

    Each batch is its own transaction; `enqueue` gets its ids after it commits, so a
    worker never sees a delivery that is not `sending` yet.
    """
    now = now or timezone.now()
    requeue_stuck_deliveries()
    total = 0
    while True:
        with transaction.atomic():
            ids = claim_due_deliveries(now=now, batch_size=batch_size)
            if ids:
                transaction.on_commit(lambda ids=ids: enqueue(ids))
        total += len(ids)
        if len(ids) < batch_size:
            return total


def requeue_stuck_deliveries(*, older_than: dt.timedelta = STUCK_AFTER, now: dt.datetime | None = None) -> int:
    """Deliveries left `sending` by a worker that died go back to `scheduled` (sent on the next pass)."""
    cutoff = (now or timezone.now()) - older_than
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)  # a send in progress holds its row
            .filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        if ids:
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SCHEDULED, claimed_at=None, updated_at=timezone.now()
            )
            logger.warning("requeued %d deliveries stuck in sending", len(ids))
    return len(ids)


def is_transient(error: Exception) -> bool:
    """Worth another try later: the server or the network, not the message or the address."""
    if isinstance(error, AnymailAPIError):  # a provider's HTTP API (also an OSError: check it first)
        status = getattr(error, "status_code", None)
        return status is None or status >= 500 or status == 429
    if isinstance(error, AnymailError):  # recipients refused, invalid address, unsupported feature
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)  # connection refused or reset, timeouts, DNS


def deliver(*, delivery_id: int, final_attempt: bool | None = None, connection=None) -> Outcome:
    """Send one claimed delivery, at most once. The row stays locked while it is sent.

    Re-checks the enrollment and the suppression list first: a pause, an unsubscribe
    or a bounce since the claim wins. `final_attempt` None: the row's attempts decide
    (the last of 1 + MAX_RETRIES tries fails the delivery instead of retrying it).
    """
    return _deliver(delivery_id, final_attempt=final_attempt, connection=connection)[0]


def deliver_batch(*, delivery_ids: Iterable[int], retry_later: Callable[[int, float], None]) -> list[Outcome]:
    """Send claimed deliveries over one connection to the mail server, not one connection each (issue 16).

    Each one is still locked, re-checked, sent at most once and recorded in its own transaction, as `deliver`
    does: a worker killed mid-batch leaves the rest `sending` for the reaper. A transient failure hands that
    delivery alone to `retry_later(delivery_id, countdown)`; a permanent one fails only its row. After any failure
    the connection is closed (its state is unknown: a dropped SMTP session, a 421) and reopened for the rest.
    """
    connection = mail_connection()
    outcomes, steps = [], {}
    try:
        for delivery_id in delivery_ids:
            _open_quietly(connection)
            outcome, attempts = _deliver(delivery_id, final_attempt=None, connection=connection, steps=steps)
            outcomes.append(outcome)
            if outcome is Outcome.RETRY:
                _queue_retry(retry_later, delivery_id, attempts)
            if outcome in (Outcome.RETRY, Outcome.FAILED):
                _close_quietly(connection)
    finally:
        _close_quietly(connection)
    return outcomes


def _queue_retry(retry_later: Callable[[int, float], None], delivery_id: int, attempts: int) -> None:
    """The retry of one delivery; with the broker away, the reaper returns it instead (it stays `sending`)."""
    try:
        retry_later(delivery_id, retry_countdown(attempts - 1))
    except Exception:  # noqa: BLE001 - the rest of the batch still goes
        logger.warning(
            "could not queue the retry of delivery %s; the reaper will return it", delivery_id, exc_info=True
        )


def _open_quietly(connection) -> None:
    """Open the shared connection if it is not; a server that is down fails the next send, recorded on its row."""
    with contextlib.suppress(Exception):  # the send that follows raises it again, and its row records it
        connection.open()


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a connection that cannot say goodbye is gone all the same
        logger.info("closing the mail connection failed", exc_info=True)


def _deliver(
    delivery_id: int, *, final_attempt: bool | None, connection, steps: dict | None = None
) -> tuple[Outcome, int]:
    """`deliver`, also returning the delivery's attempts so far (what a retry's backoff counts).

    `steps`: the lessons (with their program) a batch has already read, by id; each is read once per batch.
    """
    with transaction.atomic():
        delivery = _lock(delivery_id)
        if delivery is None or delivery.status != Delivery.Status.SENDING:
            return Outcome.NOTHING, 0
        delivery.step = _step(delivery.step_id, {} if steps is None else steps)
        enrollment = delivery.enrollment
        now = timezone.now()
        if enrollment.status == Enrollment.Status.PAUSED:
            delivery.status = Delivery.Status.HELD
            _record(delivery, ["status", "updated_at"])
            return Outcome.HELD, delivery.attempts
        if enrollment.status == Enrollment.Status.STOPPED:
            # The membership ended while this lesson was claimed: it waits, cancelled, for the member to rejoin.
            delivery.status = Delivery.Status.CANCELLED
            _record(delivery, ["status", "updated_at"])
            return Outcome.HELD, delivery.attempts
        if enrollment.status != Enrollment.Status.ACTIVE:
            return _skip(delivery, f"enrollment {enrollment.status}"), delivery.attempts
        if final_attempt is None:
            final_attempt = delivery.attempts >= MAX_RETRIES
        delivery.attempts += 1
        try:
            message_id = lessons.send_lesson(delivery, connection=connection)
        except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if is_transient(error) and not final_attempt:
                delivery.claimed_at = now  # the reaper leaves it alone while the retry waits
                _record(delivery, ["attempts", "last_error", "claimed_at", "updated_at"])
                logger.warning("delivery %s: transient error, will retry: %s", delivery.pk, delivery.last_error)
                return Outcome.RETRY, delivery.attempts
            delivery.status = Delivery.Status.FAILED
            _record(delivery, ["status", "attempts", "last_error", "updated_at"])
            logger.error("delivery %s to %s failed: %s", delivery.pk, mask_email(enrollment.email), delivery.last_error)
            _complete_if_last(delivery)
            return Outcome.FAILED, delivery.attempts
        if message_id is None:  # the one mail function refused it: the address is suppressed
            return _skip(delivery, "address is suppressed"), delivery.attempts
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.message_id = message_id
        delivery.last_error = ""
        _record(delivery, ["status", "attempts", "sent_at", "message_id", "last_error", "updated_at"])
        _complete_if_last(delivery)
        return Outcome.SENT, delivery.attempts


class _LockStatement:
    """Lock one claimed delivery and read it with its enrollment, and whether anything else of that enrollment is
    left to send (so a lesson that is not the last costs no query of its own to find out).

    Built once per process from the models' fields: the ORM compiled this same statement again for every lesson,
    about 2 ms of CPU each on the benchmark's machine, more than the whole SMTP conversation (issue 16).
    """

    def __init__(self, using: str):
        quote = connections[using].ops.quote_name
        self.delivery_fields = [f.attname for f in Delivery._meta.concrete_fields]
        self.enrollment_fields = [f.attname for f in Enrollment._meta.concrete_fields]
        columns = [f"d.{quote(f.column)}" for f in Delivery._meta.concrete_fields]
        columns += [f"e.{quote(f.column)}" for f in Enrollment._meta.concrete_fields]
        deliveries, enrollments = quote(Delivery._meta.db_table), quote(Enrollment._meta.db_table)
        unfinished = ", ".join(["%s"] * len(UNFINISHED))
        # Names from the models' metadata; every value goes as a parameter.
        self.sql = " ".join(
            [
                f"SELECT {', '.join(columns)}, EXISTS (SELECT 1 FROM {deliveries} o",  # noqa: S608
                f"WHERE o.enrollment_id = d.enrollment_id AND o.id <> d.id AND o.status IN ({unfinished}))",
                f"FROM {deliveries} d JOIN {enrollments} e ON e.id = d.enrollment_id",
                # SQLite (the demo) has no row locks; its one writer at a time does the same job there.
                "WHERE d.id = %s"
                + (" FOR UPDATE OF d SKIP LOCKED" if connections[using].vendor == "postgresql" else ""),
            ]
        )
        self.compiler = Delivery.objects.none().query.get_compiler(using=using)
        fields = [*Delivery._meta.concrete_fields, *Enrollment._meta.concrete_fields]
        self.converters = self.compiler.get_converters([f.get_col(f.model._meta.db_table) for f in fields])

    def run(self, delivery_id: int, using: str) -> Delivery | None:
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, [*UNFINISHED, delivery_id])
            rows = cursor.fetchall()
        if not rows:
            return None
        (row,) = self.compiler.apply_converters(rows, self.converters) if self.converters else rows
        split = len(self.delivery_fields)
        delivery = Delivery.from_db(using, self.delivery_fields, row[:split])
        delivery.enrollment = Enrollment.from_db(using, self.enrollment_fields, row[split:-1])
        delivery.others_unfinished = row[-1]
        return delivery


@functools.cache
def _update_statement(using: str, fields: tuple[str, ...]) -> str:
    quote = connections[using].ops.quote_name
    columns = ", ".join(f"{quote(Delivery._meta.get_field(name).column)} = %s" for name in fields)
    return f"UPDATE {quote(Delivery._meta.db_table)} SET {columns} WHERE id = %s"  # noqa: S608 - names from _meta


def _record(delivery: Delivery, fields: list[str]) -> None:
    """Write these fields of the locked row (`updated_at` among them, set now): what `save(update_fields=…)` does,
    without compiling the same UPDATE again for every lesson (issue 16; no signal listens to deliveries)."""
    delivery.updated_at = timezone.now()
    using = router.db_for_write(Delivery)
    connection = connections[using]
    values = [Delivery._meta.get_field(name).get_db_prep_save(getattr(delivery, name), connection) for name in fields]
    with connection.cursor() as cursor:
        cursor.execute(_update_statement(using, tuple(fields)), [*values, delivery.pk])


UNFINISHED = (Delivery.Status.SCHEDULED, Delivery.Status.HELD, Delivery.Status.SENDING)  # DeliveryQuerySet.unfinished


@functools.cache
def _lock_statement(using: str) -> _LockStatement:
    return _LockStatement(using)


def _lock(delivery_id: int) -> Delivery | None:
    """The delivery, locked (None when another send holds it or it is gone); see _LockStatement."""
    using = router.db_for_write(Delivery)
    return _lock_statement(using).run(delivery_id, using)


def _step(step_id: int, steps: dict) -> Step:
    if step_id not in steps:
        steps[step_id] = Step.objects.select_related("program").get(pk=step_id)
    return steps[step_id]


def _complete_if_last(delivery: Delivery) -> None:
    """The enrollment is completed when nothing else of it was left to send (checked again, locked, there)."""
    if not delivery.others_unfinished:
        enrollments.complete_if_finished(enrollment=delivery.enrollment)


def _skip(delivery: Delivery, reason: str) -> "Outcome":
    delivery.status = Delivery.Status.SKIPPED
    delivery.last_error = reason
    _record(delivery, ["status", "attempts", "last_error", "updated_at"])
    _complete_if_last(delivery)
    return Outcome.SKIPPED


@transaction.atomic
def resend_failed_deliveries(deliveries) -> int:
    """Staff: give the failed ones among `deliveries` another go on the next pass (three queries in all).

    A program that was completed because its last lesson failed runs again until that lesson
    is sent (otherwise the send would be skipped as "enrollment completed").
    """
    now = timezone.now()
    failed = Delivery.objects.filter(pk__in=deliveries.values("pk"), status=Delivery.Status.FAILED)
    enrollment_ids = set(failed.values_list("enrollment_id", flat=True))
    count = failed.update(status=Delivery.Status.SCHEDULED, due_at=now, attempts=0, updated_at=now)
    if enrollment_ids:
        Enrollment.objects.filter(pk__in=enrollment_ids, status=Enrollment.Status.COMPLETED).update(
            status=Enrollment.Status.ACTIVE, updated_at=now
        )
    return count


def resend_failed(*, delivery: Delivery) -> bool:
    """Staff: give a failed delivery another go on the next pass."""
    return bool(resend_failed_deliveries(Delivery.objects.filter(pk=delivery.pk)))
