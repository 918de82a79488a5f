"""One customer's programs, for the accounts app: every enrollment of an email address, in any case (bought,
signed up, a member's), with what the account page shows of each, in one query however many there are."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from core.suppression import normalize_email
from programs.models import Delivery, Enrollment, Step

OPEN = [Delivery.Status.SCHEDULED, Delivery.Status.HELD]


def enrollments_of(email: str) -> QuerySet[Enrollment]:
    """Every enrollment of this address, in any case."""
    address = normalize_email(email)
    return Enrollment.objects.filter(email__iexact=address) if address else Enrollment.objects.none()


def _count(queryset, group: str) -> Coalesce:
    counted = queryset.values(group).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def enrollments_for_account(email: str) -> list[Enrollment]:
    """The account page's programs, newest first, each with its program and order, `next_due` and
    `next_subject` (its next open lesson), `lessons_sent` and `lesson_total`: one query."""
    next_open = Delivery.objects.filter(enrollment=OuterRef("pk"), status__in=OPEN).order_by("due_at", "pk")
    sent = Delivery.objects.filter(enrollment=OuterRef("pk"), status=Delivery.Status.SENT)
    steps = Step.objects.filter(program=OuterRef("program_id"))
    rows = (
        enrollments_of(email)
        .select_related("program", "order")
        .annotate(
            next_due=Subquery(next_open.values("due_at")[:1]),
            next_subject=Subquery(next_open.values("step__subject")[:1]),
            lessons_sent=_count(sent, "enrollment"),
            lesson_total=_count(steps, "program"),
        )
        .order_by("-created_at", "-pk")
    )
    return list(rows)


def enrollment_of(email: str, enrollment_id) -> Enrollment | None:
    """The address's enrollment of this id (None for anyone else's, or for an id that is not a number)."""
    try:
        pk = int(enrollment_id)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:  # a bigint, or nothing
        return None
    return enrollments_of(email).select_related("program").filter(pk=pk).first()
