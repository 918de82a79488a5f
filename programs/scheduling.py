"""The Delivery rows of each enrollment: when each lesson is due, and keeping that true.

Scheduling an enrollment's lessons, moving them when its anchor, hour or zone changes,
and bringing running enrollments in line when staff add, move or delete a lesson later.
The time arithmetic itself (DST, send days) is `programs.schedule`; the enrollment's
status changes are `programs.enrollments`.
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from programs import schedule
from programs.models import Delivery, Enrollment, Program, Step

STEP_BATCH_SIZE = 1000
# Up to this many running enrollments the pass runs in the request that saved the lesson
# (about 0.12 s per 1,000 on PostgreSQL); a bigger program gets it from a worker after the commit.
INLINE_STEP_ENROLLMENTS = 5000


def _due(enrollment: Enrollment, step_day: int) -> dt.datetime:
    return schedule.due_at(
        anchor_date=enrollment.anchor_date,
        anchor_day=enrollment.anchor_day,
        step_day=step_day,
        hour=enrollment.send_hour,
        zone_name=enrollment.timezone,
        weekdays=enrollment.program.weekdays,
    )


def schedule_deliveries(*, enrollment: Enrollment, now: dt.datetime | None = None) -> int:
    """Start the schedule at the next local send hour: one delivery per step, due in UTC."""
    now = now or timezone.now()
    enrollment.anchor_date = schedule.first_start_date(enrollment.timezone, enrollment.send_hour, now)
    enrollment.anchor_day = 0
    enrollment.save(update_fields=["anchor_date", "anchor_day", "updated_at"])
    rows = [
        Delivery(enrollment=enrollment, step=step, due_at=_due(enrollment, step.day))
        for step in enrollment.program.steps.all()
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def schedule_new_enrollments(*, program: Program, enrollments: list[Enrollment]) -> int:
    """`schedule_deliveries` for many new enrollments of one program, anchored already (lesson 0 on their
    `anchor_date`): two queries, whatever their number; due times computed once per anchor, hour and zone."""
    steps = list(program.steps.values_list("pk", "day"))
    weekdays, dues, rows = program.weekdays, {}, []
    for enrollment in enrollments:
        for step_id, day in steps:
            key = (enrollment.anchor_date, enrollment.send_hour, enrollment.timezone, day)
            if key not in dues:
                dues[key] = schedule.due_at(
                    anchor_date=enrollment.anchor_date,
                    anchor_day=0,
                    step_day=day,
                    hour=enrollment.send_hour,
                    zone_name=enrollment.timezone,
                    weekdays=weekdays,
                )
            rows.append(Delivery(enrollment_id=enrollment.pk, step_id=step_id, due_at=dues[key]))
    Delivery.objects.bulk_create(rows, batch_size=STEP_BATCH_SIZE * 5, ignore_conflicts=True)
    return len(rows)


def schedule_missing_steps(*, enrollment: Enrollment, from_day: int) -> int:
    """Deliveries for the program's lessons from `from_day` on that the enrollment has none of (lessons staff added
    while it was not running), due by its current anchor."""
    has_one = Delivery.objects.filter(enrollment=enrollment, step=OuterRef("pk"))
    missing = enrollment.program.steps.filter(day__gte=from_day).exclude(Exists(has_one))
    rows = [Delivery(enrollment=enrollment, step=step, due_at=_due(enrollment, step.day)) for step in missing]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reschedule_deliveries(
    *, enrollment: Enrollment, deliveries: "QuerySet[Delivery]", new_status: str | None = None
) -> None:
    """Put these deliveries of the enrollment at the due times of its current anchor, hour and zone (and give them
    `new_status`): two queries, however many lessons."""
    rows = [(pk, _due(enrollment, day)) for pk, day in deliveries.values_list("pk", "step__day")]
    if rows:
        _move_deliveries(rows, now=timezone.now(), status=new_status)


def advance_anchor(*, enrollment: Enrollment, now: dt.datetime, unsent: "QuerySet[Delivery]") -> None:
    """Move the anchor on until the first of the `unsent` deliveries is not due before `now`.

    Otherwise it would go out at once, maybe at night. Changes the enrollment in memory only; the caller saves it.
    """
    first = unsent.select_related("step").order_by("step__day").first()
    if first is None:
        return
    behind = now - _due(enrollment, first.step.day)
    if behind.days > 0:  # long gone: jump most of the way at once
        enrollment.anchor_date += dt.timedelta(days=behind.days)
    while _due(enrollment, first.step.day) < now:
        enrollment.anchor_date += dt.timedelta(days=1)


# --- lessons added, moved or deleted after enrolling ----------------------------------------


def schedule_step_for_enrollments(
    *, step: Step, now: dt.datetime | None = None, batch_size: int = STEP_BATCH_SIZE
) -> dict[str, int]:
    """Bring one step's deliveries in line with its day, for every running enrollment of its program.

    Called when staff add a lesson or move it to another day. Each active or paused
    enrollment gets the step due exactly as `schedule_deliveries` would have put it
    (its anchor, send hour, zone and the program's send days); an unsent one moves.
    A day already passed for an enrollment is not sent late: no delivery is created,
    and an unsent one is dropped (for a paused enrollment "passed" means before the
    pause, since resuming shifts the rest). Sent, failed and in-flight rows are left alone.
    Idempotent: (enrollment, step) is unique. A constant number of queries per batch.

    The enrollments of a batch are locked while their rows change, so a pause, a
    resume or the last lesson's completion cannot interleave with it.
    """
    now = now or timezone.now()
    counts = {"created": 0, "moved": 0, "dropped": 0}
    due_cache: dict[tuple, dt.datetime] = {}  # enrollments share anchors, hours and zones
    last_pk = 0
    while True:
        with transaction.atomic():
            batch = list(
                Enrollment.objects.select_for_update(no_key=True)
                .running()
                .filter(program_id=step.program_id, anchor_date__isnull=False, pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", "status", "anchor_date", "anchor_day", "send_hour", "timezone", "paused_at")[
                    :batch_size
                ]
            )
            if not batch:
                return counts
            last_pk = batch[-1][0]
            _schedule_step_batch(step=step, batch=batch, now=now, due_cache=due_cache, counts=counts)
        if len(batch) < batch_size:
            return counts


def _schedule_step_batch(*, step: Step, batch: list[tuple], now: dt.datetime, due_cache: dict, counts: dict) -> None:
    """One locked batch of `schedule_step_for_enrollments`: create, move and drop its rows, adding to `counts`."""
    ids = [row[0] for row in batch]
    existing = set(Delivery.objects.filter(step=step, enrollment_id__in=ids).values_list("enrollment_id", flat=True))
    # Open rows a dispatch pass is claiming are skipped: they are due now and go out as they are.
    open_rows = {
        enrollment_id: (pk, due_at)
        for pk, enrollment_id, due_at in Delivery.objects.select_for_update(skip_locked=True)
        .open()
        .filter(step=step, enrollment_id__in=ids)
        .values_list("pk", "enrollment_id", "due_at")
    }
    weekdays = step.program.weekdays
    create, move, drop = [], [], []
    for pk, status, anchor_date, anchor_day, send_hour, zone_name, paused_at in batch:
        key = (anchor_date, anchor_day, send_hour, zone_name)
        if key not in due_cache:
            due_cache[key] = schedule.due_at(
                anchor_date=anchor_date,
                anchor_day=anchor_day,
                step_day=step.day,
                hour=send_hour,
                zone_name=zone_name,
                weekdays=weekdays,
            )
        due = due_cache[key]
        paused = status == Enrollment.Status.PAUSED
        passed = due < ((paused_at or now) if paused else now)
        if pk not in existing:
            if not passed:
                new_status = Delivery.Status.HELD if paused else Delivery.Status.SCHEDULED
                create.append(Delivery(enrollment_id=pk, step=step, due_at=due, status=new_status))
        elif pk in open_rows:
            delivery_pk, due_at = open_rows[pk]
            if passed:
                drop.append((delivery_pk, pk))
            elif due_at != due:
                move.append((delivery_pk, due))
    if create:
        Delivery.objects.bulk_create(create, ignore_conflicts=True)
    if move:
        _move_deliveries(move, now=now)
    if drop:
        Delivery.objects.filter(pk__in=[delivery_pk for delivery_pk, _ in drop]).delete()
        _complete_finished([enrollment_id for _, enrollment_id in drop])
    counts["created"] += len(create)
    counts["moved"] += len(move)
    counts["dropped"] += len(drop)


def _move_deliveries(rows: list[tuple[int, dt.datetime]], *, now: dt.datetime, status: str | None = None) -> None:
    """New due times (and `status`) for (delivery id, due) pairs in one statement (bulk_update's CASE is
    quadratic)."""
    if connection.vendor != "postgresql":
        moved = [Delivery(pk=pk, due_at=due, updated_at=now, status=status) for pk, due in rows]
        Delivery.objects.bulk_update(moved, ["due_at", "updated_at", *(["status"] if status else [])])
        return
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS d SET due_at = v.due_at, updated_at = %s, "  # noqa: S608 - the table name is ours
            "status = COALESCE(%s::varchar, d.status) "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, due_at) WHERE d.id = v.id",
            [now, status, [pk for pk, _ in rows], [due for _, due in rows]],
        )


def step_saved(*, step: Step, created: bool, schedule_later: Callable[[int], object]) -> dict[str, int] | None:
    """A new lesson, or one moved to another day, reaches the running enrollments; other edits change no date.

    A program with more than `INLINE_STEP_ENROLLMENTS` running enrollments is handed to
    `schedule_later` (called with the step's id once the save commits) instead of being
    scheduled in this request.
    """
    if not created and getattr(step, "saved_program_id", step.program_id) != step.program_id:
        # Moved to another program: the old program's enrollments do not get it any more.
        left = Delivery.objects.open().filter(step=step).exclude(enrollment__program_id=step.program_id)
        stopped = list(left.values_list("enrollment_id", flat=True))
        if stopped:
            left.delete()
            _complete_finished(stopped)
    elif not created and getattr(step, "saved_day", None) == step.day:
        return None
    running = Enrollment.objects.running().filter(program_id=step.program_id)
    if running[: INLINE_STEP_ENROLLMENTS + 1].count() <= INLINE_STEP_ENROLLMENTS:
        return schedule_step_for_enrollments(step=step)
    transaction.on_commit(lambda: schedule_later(step.pk))
    return None


@transaction.atomic
def unschedule_step(*, step: Step) -> int:
    """A lesson is being deleted: its unsent deliveries stop, and whoever had only it left is completed.

    Runs before the delete cascades (a `pre_delete` receiver), in two queries whatever the enrollment count.
    Only rows of this step that were open get "lesson deleted", so they name whom to check.
    """
    count = (
        Delivery.objects.open()
        .filter(step=step)
        .update(status=Delivery.Status.CANCELLED, last_error="lesson deleted", updated_at=timezone.now())
    )
    if count:
        _complete_finished(Enrollment.objects.filter(deliveries__step=step, deliveries__last_error="lesson deleted"))
    return count


def _complete_finished(enrollments: Iterable[int] | QuerySet) -> int:
    """Mark completed the active ones among these enrollments (ids or a query) with nothing left to send.

    The bulk form of `programs.enrollments.complete_if_finished`, for the step passes: one
    UPDATE for all of them, whatever their number.
    """
    unfinished = Delivery.objects.unfinished().filter(enrollment=OuterRef("pk"))
    return (
        Enrollment.objects.filter(pk__in=enrollments, status=Enrollment.Status.ACTIVE)
        .exclude(Exists(unfinished))
        .update(status=Enrollment.Status.COMPLETED, updated_at=timezone.now())
    )
