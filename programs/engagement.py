"""What became of a sent lesson: delivered, opened, clicked, bounced, complained, unsubscribed (issue 15).

Each time on a delivery is the earliest one seen. Providers retry webhooks and send them out of order, so every
write is one UPDATE that only ever moves a time earlier (LEAST/COALESCE, guarded by a WHERE that skips a row with
an earlier time already): two events racing each other cannot lose the earlier one, and a duplicate writes nothing.
"""

import datetime as dt
import logging

from anymail.signals import AnymailTrackingEvent
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from programs.models import Delivery, Enrollment

logger = logging.getLogger(__name__)

# anymail's normalised event types → the delivery's time field.
EVENT_FIELDS = {
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "bounced": "bounced_at",
    "complained": "complained_at",
    "unsubscribed": "unsubscribed_at",
}
METADATA_KEY = "delivery"  # the anymail metadata each lesson carries: {"delivery": <Delivery.pk>}
# Mail security scanners (Outlook Safe Links, Mimecast, Proofpoint …) fetch every link as the message arrives;
# a person takes longer than this to open a lesson and click.
SCANNER_WINDOW = dt.timedelta(seconds=10)


def lesson_metadata(delivery_id: int) -> dict[str, int]:
    return {METADATA_KEY: delivery_id}


def delivery_id_of(metadata: dict | None) -> int | None:
    """The delivery id the lesson was sent with; ESPs hand metadata back as strings, or not at all."""
    value = (metadata or {}).get(METADATA_KEY)
    try:
        delivery_id = int(value)
    except (TypeError, ValueError):
        return None
    return delivery_id if delivery_id > 0 else None


def without_waiting_for_the_disk() -> None:
    """Inside a transaction: its commit does not wait for the WAL flush. A click or an open is not worth a disk
    flush per request (several ms each): a database crash may lose the last fraction of a second of them,
    never half of one, and nothing else is written in such a transaction."""
    if connection.vendor != "postgresql":  # a PostgreSQL setting (the demo runs on SQLite)
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def record_earliest(deliveries, *, field: str, when: dt.datetime) -> int:
    """Set `field` to `when` on `deliveries` unless it holds an earlier time already; how many rows changed."""
    earliest = Least(Coalesce(F(field), Value(when)), Value(when))
    unset_or_later = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gt": when})
    return deliveries.filter(unset_or_later).update(**{field: earliest})


def record_tracking_event(*, event: AnymailTrackingEvent) -> int:
    """An ESP's event on the delivery it names (metadata), else on the one with its message id; rows changed.

    An ESP's `clicked` sets the first click's time only: the click count is our redirect's.
    """
    field = EVENT_FIELDS.get(event.event_type)
    if field is None:
        return 0
    delivery_id = delivery_id_of(event.metadata)
    if delivery_id is not None:
        deliveries = Delivery.objects.filter(pk=delivery_id)
    elif event.message_id:
        deliveries = Delivery.objects.filter(message_id=event.message_id).exclude(message_id="")
    else:
        return 0
    return record_earliest(deliveries, field=field, when=event.timestamp or timezone.now())


def record_click(*, delivery_id: int, judged_scanner: bool, now: dt.datetime | None = None) -> int:
    """One click through a tracked link, in one UPDATE: the count goes up, and the first click is a person's
    (`clicked_at`) unless it is judged a scanner's prefetch (`scanner_clicked_at`): a HEAD, or a click within
    SCANNER_WINDOW of the send or the delivery. 0 when the delivery is gone."""
    now = now or timezone.now()
    if judged_scanner:
        person_at, scanner_at = F("clicked_at"), Coalesce(F("scanner_clicked_at"), Value(now))
    else:
        prefetch = Q(sent_at__gt=now - SCANNER_WINDOW) | Q(delivered_at__gt=now - SCANNER_WINDOW)
        person_at = Case(When(prefetch, then=F("clicked_at")), default=Coalesce(F("clicked_at"), Value(now)))
        scanner_at = Case(
            When(prefetch, then=Coalesce(F("scanner_clicked_at"), Value(now))), default=F("scanner_clicked_at")
        )
    with transaction.atomic(savepoint=False):  # a transaction of its own, or part of the caller's
        without_waiting_for_the_disk()
        return Delivery.objects.filter(pk=delivery_id).update(
            click_count=F("click_count") + 1, clicked_at=person_at, scanner_clicked_at=scanner_at
        )


def record_open(*, delivery_id: int, now: dt.datetime | None = None) -> int:
    """Our open pixel was fetched (an image proxy or Apple's Mail Privacy Protection counts too)."""
    with transaction.atomic(savepoint=False):  # a transaction of its own, or part of the caller's
        without_waiting_for_the_disk()
        return record_earliest(Delivery.objects.filter(pk=delivery_id), field="opened_at", when=now or timezone.now())


def record_unsubscribe(*, enrollment: Enrollment, now: dt.datetime | None = None) -> int:
    """The customer unsubscribed through our link, one-click or "stop all": their latest sent lesson is the one
    they left after (one UPDATE; nothing when no lesson was sent yet)."""
    latest_sent = (
        Delivery.objects.filter(enrollment_id=enrollment.pk, status=Delivery.Status.SENT)
        .order_by("-sent_at", "-pk")
        .values("pk")[:1]
    )
    return record_earliest(
        Delivery.objects.filter(pk__in=latest_sent), field="unsubscribed_at", when=now or timezone.now()
    )
