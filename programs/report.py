"""A program's figures for staff (issue 15): per-lesson engagement and the completion funnel.

Each figure is a `COUNT(*) FILTER (WHERE …)` in one aggregate query, so the report costs the same few
queries whatever the number of deliveries: the lessons, one pass over their sent deliveries grouped by
lesson, and for the funnel one over the program's enrollments and one over three lessons' sent deliveries.

Opens are inflated by Apple Mail Privacy Protection (it fetches every image of every mail as it arrives);
clicks through our tracked links, with link scanners' prefetches set apart, are the figure to trust.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from programs.models import Delivery, Enrollment, Program, Step

# What each lesson row counts among its sent deliveries: (name, label, the delivery field that records it).
ENGAGEMENT = [
    ("delivered", "Delivered", "delivered_at"),
    ("opened", "Opened", "opened_at"),
    ("clicked", "Clicked", "clicked_at"),
    ("unsubscribed", "Unsubscribed", "unsubscribed_at"),
    ("bounced", "Bounced", "bounced_at"),
    ("complained", "Marked as spam", "complained_at"),
]
FUNNEL_LESSONS = [7, 14, 28]  # lesson N reached: its delivery was sent (its step's 0-based day is N - 1)

ORIGINS = {
    "bought": Enrollment.Origin.ORDER,
    "signup": Enrollment.Origin.SIGNUP,
    "member": Enrollment.Origin.MEMBER,
    "staff": Enrollment.Origin.STAFF,
}


@dataclass(frozen=True)
class ReportFilters:
    """Deliveries sent (and, for the funnel, enrollments made) in [since, until), of one origin or all."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    origin: str | None = None  # an Enrollment.Origin value


def rate(count: int, of: int) -> Decimal | None:
    """count ÷ of as a percentage with one decimal; None when there is nothing to divide by."""
    if not of:
        return None
    return (Decimal(count) * 100 / of).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LessonRow:
    step_id: int
    day: int
    subject: str
    sent: int
    counts: dict[str, int] = field(default_factory=dict)  # ENGAGEMENT name → count

    @property
    def lesson(self) -> int:
        return self.day + 1

    def figures(self) -> list[tuple[str, int, Decimal | None]]:
        """(label, count, rate of sent) for each engagement column, in ENGAGEMENT's order."""
        return [(label, self.counts[name], rate(self.counts[name], self.sent)) for name, label, _ in ENGAGEMENT]


@dataclass(frozen=True)
class FunnelStage:
    label: str
    count: int
    rate: Decimal | None  # of the enrolled


def lesson_rows(program: Program, filters: ReportFilters) -> list[LessonRow]:
    """One row per lesson of the program, in order, with its sent deliveries' counts (two queries)."""
    steps = list(Step.objects.filter(program=program).order_by("day").values_list("pk", "day", "subject"))
    if not steps:
        return []
    counted = {row.pop("step_id"): row for row in _lesson_counts([pk for pk, _, _ in steps], filters)}
    empty = {"sent": 0, **{name: 0 for name, _, _ in ENGAGEMENT}}
    rows = []
    for pk, day, subject in steps:
        counts = counted.get(pk, empty)
        engagement = {name: counts[name] for name, _, _ in ENGAGEMENT}
        rows.append(LessonRow(step_id=pk, day=day, subject=subject, sent=counts["sent"], counts=engagement))
    return rows


def _lesson_counts(step_ids: list[int], filters: ReportFilters):
    deliveries = Delivery.objects.filter(step_id__in=step_ids, sent_at__isnull=False)
    if filters.since:
        deliveries = deliveries.filter(sent_at__gte=filters.since)
    if filters.until:
        deliveries = deliveries.filter(sent_at__lt=filters.until)
    if filters.origin:
        deliveries = deliveries.filter(enrollment__origin=filters.origin)
    figures = {name: Count("pk", filter=Q(**{f"{column}__isnull": False})) for name, _, column in ENGAGEMENT}
    return deliveries.order_by().values("step_id").annotate(sent=Count("*"), **figures)


def totals(rows: list[LessonRow]) -> LessonRow:
    """Every lesson together (no query: the rows' sums)."""
    counts = {name: sum(row.counts[name] for row in rows) for name, _, _ in ENGAGEMENT}
    return LessonRow(step_id=0, day=-1, subject="All lessons", sent=sum(row.sent for row in rows), counts=counts)


def completion_funnel(program: Program, filters: ReportFilters, rows: list[LessonRow]) -> list[FunnelStage]:
    """Enrolled → lesson 7 → 14 → 28 → completed, for the people who enrolled in the period (two queries).

    A stage for a lesson the program does not have is left out (a 10-lesson program: enrolled → 7 → completed).
    Lesson N is reached when its delivery was sent, whenever that was.
    """
    step_of_lesson = {row.lesson: row.step_id for row in rows}
    lessons = [lesson for lesson in FUNNEL_LESSONS if lesson in step_of_lesson]
    cohort = Enrollment.objects.filter(program=program)
    if filters.since:
        cohort = cohort.filter(created_at__gte=filters.since)
    if filters.until:
        cohort = cohort.filter(created_at__lt=filters.until)
    if filters.origin:
        cohort = cohort.filter(origin=filters.origin)
    totals = cohort.aggregate(enrolled=Count("*"), completed=Count("pk", filter=Q(status=Enrollment.Status.COMPLETED)))
    reached = {}
    if lessons:
        # A join, not an EXISTS per enrollment: the sent deliveries of three lessons come from the report's
        # index alone, and the cohort is hashed once (a tenth of the time at 1,000,000 deliveries).
        reached_rows = (
            Delivery.objects.filter(
                step_id__in=[step_of_lesson[lesson] for lesson in lessons],
                sent_at__isnull=False,
                enrollment__in=cohort.values("pk"),
            )
            .order_by()
            .values("step_id")
            .annotate(people=Count("*"))
        )
        reached = {row["step_id"]: row["people"] for row in reached_rows}
    enrolled = totals["enrolled"]
    stages = [FunnelStage("Enrolled", enrolled, rate(enrolled, enrolled))]
    for lesson in lessons:
        people = reached.get(step_of_lesson[lesson], 0)
        stages.append(FunnelStage(f"Lesson {lesson}", people, rate(people, enrolled)))
    stages.append(FunnelStage("Completed", totals["completed"], rate(totals["completed"], enrolled)))
    return stages
