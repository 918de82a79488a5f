"""Stripe events: verified, stored once by id, applied once, under a row lock, in the same
transaction as their effects; retried when they fail, re-applied when they were deferred.

Applied in the webhook's request (`process_stripe_event`), or, by default (`STRIPE_WEBHOOK_APPLY=worker`),
stored by the request (`store_stripe_event`) and applied by a Celery worker (`apply_stored_event`), so Stripe's
delivery is answered after one INSERT, as Stripe asks of an endpoint (answer 2xx before any complex logic)."""

import json
import logging
import traceback
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.redaction import loggable
from payments.client import id_of, verify_signature, without_nul
from payments.models import StripeEvent
from payments.registry import combined_state, handlers_for

logger = logging.getLogger(__name__)
RETRY_BATCH = 100
MAX_DEPTH = 64  # Stripe's events nest a handful of levels (event → data → object → its parts)
APPLIED_STATES = (StripeEvent.State.PROCESSED, StripeEvent.State.IGNORED)


def verify_stripe_event(*, payload: bytes, sig_header: str) -> dict:
    """The event in a webhook body, once its Stripe-Signature is verified (default tolerance 300 s).

    Raises `stripe.SignatureVerificationError` (forged, wrong secret, stale) or `ValueError` (not an event).
    """
    verify_signature(payload, sig_header)
    try:
        data = json.loads(payload)
    except RecursionError as exc:  # signed, but nested deeper than the JSON parser can go
        raise ValueError("not a Stripe event") from exc
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise ValueError("not a Stripe event")
    if not isinstance(data.get("data"), dict):
        raise ValueError("not a Stripe event")
    # A real event nests a few levels; one nested hundreds deep would take storing it (json.dumps, recursive) to
    # Python's recursion limit. A body with fewer brackets than MAX_DEPTH cannot nest deeper: no walk.
    if payload.count(b"{") + payload.count(b"[") > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):
        raise ValueError("not a Stripe event")
    # PostgreSQL stores no NUL (text or jsonb), and a payer can type one into an address on Stripe's page: taken
    # out, as from Stripe's API answers (payments.client.as_dict). JSON carries a NUL only as the escape \u0000.
    if b"\\u0000" in payload:
        data = without_nul(data)
    if len(data["id"]) > 255 or len(data["type"]) > 100 or not data["id"]:  # Stripe's ids and types are short
        raise ValueError("not a Stripe event")
    return data


def _deeper_than(value, limit: int) -> bool:
    stack = [(value, 0)]  # a loop, not recursion: a body nested 900 deep parses, and must not crash here
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth >= limit:
            return True
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return False


def process_stripe_event(*, event: dict) -> str:
    """Store the event once by its id and apply it in the same transaction as its effects.

    The event row is locked while it is applied (a new row by its INSERT, a stored one by `select_for_update`),
    so two concurrent deliveries of one event cannot both apply it: the second waits, then sees it processed.
    A failure rolls the effects back, leaves the event `failed` with its error, and re-raises
    (the webhook answers non-2xx, Stripe retries; reconciliation retries too).
    """
    event_id = event["id"]

    def stored_or_new() -> StripeEvent:
        # Stored before: a duplicate, a retry, or a delivery racing this one. The payload is read only if the
        # event is applied again (a failed or deferred one).
        return _store_new(event) or StripeEvent.objects.select_for_update().defer("payload").get(pk=event_id)

    return _apply_once(event_id, stored_or_new, on_failure=lambda: _record_failure(event))


def store_stripe_event(*, event: dict) -> bool:
    """The webhook's part when a worker applies events (`STRIPE_WEBHOOK_APPLY=worker`): store the event once, in
    one committed INSERT, and say whether it still needs applying (new, or stored but not applied yet: queued,
    failed or deferred). False for an event applied before (a duplicate delivery: nothing to do)."""
    if _store_new(event) is not None:
        return True
    state = StripeEvent.objects.filter(pk=event["id"]).values_list("state", flat=True).first()
    return state not in APPLIED_STATES


def apply_stored_event(*, event_id: str) -> str:
    """The worker's part: apply a stored event under its row lock, in one transaction with its effects; a no-op
    ("duplicate") for one applied already (a task delivered twice, or a duplicate delivery queued it again).
    A failure rolls back, leaves the event `failed` with its error, and re-raises (the task retries)."""
    locked = StripeEvent.objects.select_for_update()
    return _apply_once(event_id, lambda: locked.filter(pk=event_id).first(), on_failure=lambda: _mark_failed(event_id))


def _apply_once(event_id: str, locked_event: Callable[[], StripeEvent | None], on_failure: Callable[[], None]) -> str:
    """In one transaction: the event row, locked (`locked_event`), applied unless it was before; on a failure
    the effects roll back, `on_failure` records it, and the exception goes on."""
    try:
        with transaction.atomic():
            stored = locked_event()
            if stored is None:
                return "missing"
            if stored.state in APPLIED_STATES:
                return "duplicate"
            return _apply_and_record(stored)
    except Exception as exc:
        logger.error("applying Stripe event %s failed: %s", event_id, loggable(exc))
        on_failure()
        raise


def _apply_and_record(stored: StripeEvent) -> str:
    stored.attempts += 1
    state = _apply(stored)
    stored.state = state
    stored.last_error = ""
    stored.processed_at = timezone.now() if state != StripeEvent.State.DEFERRED else None
    stored.save(update_fields=["state", "attempts", "last_error", "processed_at"])
    return str(state)


def _store_new(event: dict) -> StripeEvent | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the new row (locked by this transaction until it commits), or
    None when the event was stored before. One round trip where a bulk_create and a locking SELECT took two; a
    concurrent duplicate waits on this INSERT until the first delivery commits, then finds the row stored."""
    obj = (event.get("data") or {}).get("object") or {}
    stored = StripeEvent(
        id=event["id"],
        type=event["type"][:100],
        payload=event,
        state=StripeEvent.State.RECEIVED,
        payment_intent_id=(id_of(obj.get("payment_intent")) if isinstance(obj, dict) else "")[:255],
        received_at=timezone.now(),
    )
    if connection.vendor != "postgresql":  # the demo's SQLite: the same answer in two statements
        try:
            with transaction.atomic():
                stored.save(force_insert=True)
        except IntegrityError:
            return None
        return stored
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StripeEvent._meta.db_table} "  # noqa: S608 - the table name is ours, the values parameters
            "(id, type, payload, state, payment_intent_id, received_at, attempts, last_error) "
            "VALUES (%s, %s, %s::jsonb, %s, %s, %s, 0, '') ON CONFLICT (id) DO NOTHING RETURNING 1",
            [
                stored.id,
                stored.type,
                json.dumps(event),
                stored.state,
                stored.payment_intent_id,
                stored.received_at,
            ],
        )
        if cursor.fetchone() is None:
            return None
    stored._state.adding, stored._state.db = False, connection.alias
    return stored


def _apply(stored: StripeEvent) -> str:
    """Hand the event to every handler of its type (each decides whether the object is its own)."""
    handlers = handlers_for(stored.type)
    if not handlers or not isinstance((stored.payload.get("data") or {}).get("object") or {}, dict):
        return StripeEvent.State.IGNORED
    return combined_state([handler(stored) for handler in handlers])


def _record_failure(event: dict) -> None:
    with transaction.atomic():
        StripeEvent.objects.get_or_create(id=event["id"], defaults={"type": event["type"][:100], "payload": event})
        _mark_failed(event["id"])


def _mark_failed(event_id: str) -> None:
    StripeEvent.objects.filter(pk=event_id).update(
        state=StripeEvent.State.FAILED,
        attempts=F("attempts") + 1,
        last_error=traceback.format_exc()[-4000:],  # staff read it in admin; logs get the masked line
    )


def apply_deferred_events(*, payment_intent_id: str) -> None:
    """Apply, now, the events deferred until the payment intent was known (e.g. a refund that arrived
    before its payment). Call inside the transaction that made it known."""
    if not payment_intent_id:
        return
    waiting = (
        StripeEvent.objects.select_for_update()
        .filter(state=StripeEvent.State.DEFERRED, payment_intent_id=payment_intent_id)
        .order_by("received_at")
    )
    for stored in waiting:
        state = _apply(stored)
        if state != StripeEvent.State.DEFERRED:
            stored.state = state
            stored.processed_at = timezone.now()
            stored.save(update_fields=["state", "processed_at"])


def retry_events(events: QuerySet[StripeEvent]) -> tuple[int, int]:
    """Process these stored events again, oldest first (at most RETRY_BATCH); (retried, failed)."""
    retried = failed = 0
    for stored in events.order_by("received_at")[:RETRY_BATCH]:
        try:
            process_stripe_event(event=stored.payload)
            retried += 1
        except Exception:  # recorded as failed by process_stripe_event; the next pass tries again
            failed += 1
    return retried, failed


def failed_events() -> QuerySet[StripeEvent]:
    return StripeEvent.objects.filter(state=StripeEvent.State.FAILED)


def unapplied_events(*, received_before: datetime) -> QuerySet[StripeEvent]:
    """Events stored for a worker and still not applied (its task was lost: a broker restarted without its
    queue, a worker killed past its retries), received before `received_before`."""
    return StripeEvent.objects.filter(state=StripeEvent.State.RECEIVED, received_at__lt=received_before)


def deferred_events(*, payment_intent_ids: QuerySet) -> QuerySet[StripeEvent]:
    """Deferred events whose payment intent is now known (`payment_intent_ids`: a values() queryset)."""
    return StripeEvent.objects.filter(state=StripeEvent.State.DEFERRED, payment_intent_id__in=payment_intent_ids)
