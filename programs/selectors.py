"""Reads shared by the pages, the API and the admin."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef

from programs.models import Delivery, Enrollment, Step

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def get_enrollment(token: str) -> Enrollment | None:
    """The enrollment a token opens, or None for anything unknown or malformed."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    return Enrollment.objects.select_related("program").filter(token=token).first()


def next_delivery(enrollment: Enrollment) -> Delivery | None:
    """The next lesson still to go out (due later, or held while paused)."""
    return enrollment.deliveries.open().select_related("step").order_by("due_at").first()


def progress(enrollment: Enrollment) -> tuple[int, int]:
    """(lessons sent, lessons in the program), in one query.

    Each step is checked by an EXISTS on the unique (enrollment, step) index: the cost does
    not grow with the other enrollments' deliveries (a join over the program's steps would).
    """
    sent = Delivery.objects.filter(step=OuterRef("pk"), enrollment=enrollment, status=Delivery.Status.SENT)
    counts = Step.objects.filter(program_id=enrollment.program_id).aggregate(
        total=Count("pk"), sent=Count("pk", filter=Exists(sent))
    )
    return counts["sent"], counts["total"]


def local_time(enrollment: Enrollment, instant: dt.datetime) -> dt.datetime:
    """`instant` on the enrollment's wall clock."""
    try:
        return instant.astimezone(ZoneInfo(enrollment.timezone))
    except Exception:  # noqa: BLE001 - a stored zone that went away: show UTC
        return instant
