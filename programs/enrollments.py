"""An enrollment's life: enrolled (an order, staff, a membership, or a confirmed free signup: programs.signups),
paused, resumed, stopped and continued with a membership, ended.

Every status change of an enrollment happens here, with its open deliveries changed in the
same transaction. Where its lessons fall in time is `programs.scheduling`.
"""

import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Refusal
from core.models import Suppression
from core.redaction import mask_email
from programs import engagement, schedule, scheduling, selectors
from programs.models import LIVE_STATUSES, Delivery, Enrollment, Program
from programs.signals import enrollment_started
from programs.validators import validate_send_hour, validate_time_zone

logger = logging.getLogger(__name__)


RUNNING = frozenset({Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED})
MEMBERSHIP_ENDED = (
    "This program comes with a FoosFoot Coach membership, which has ended. Rejoin and it continues where it stopped."
)


class EnrollmentStateError(Refusal):
    """A move the enrollment's status does not allow (resume a completed program, …)."""

    status_code = 409


def send_time_or_defaults(*, program: Program, send_hour: int | None, timezone_name: str | None) -> tuple[int, str]:
    """An absent hour is the program's and an absent zone the site's; a given one must be valid (ValidationError)."""
    hour = program.send_hour if send_hour is None else send_hour
    zone = timezone_name or settings.TIME_ZONE
    validate_send_hour(hour)
    validate_time_zone(zone)
    return hour, zone


def _cancel_open_deliveries(enrollment: Enrollment) -> None:
    enrollment.deliveries.open().update(status=Delivery.Status.CANCELLED, updated_at=timezone.now())


def announce_start(enrollment: Enrollment) -> None:
    """`enrollment_started` once the current transaction commits (the welcome email listens)."""
    transaction.on_commit(
        functools.partial(enrollment_started.send, sender=Enrollment, enrollment_id=enrollment.pk), robust=True
    )


# --- enrolling ----------------------------------------------------------------------------


@transaction.atomic
def enroll(
    *,
    program: Program,
    email: str,
    origin: str,
    name: str = "",
    timezone_name: str | None = None,
    send_hour: int | None = None,
    now: dt.datetime | None = None,
) -> Enrollment:
    """Enroll someone now (staff or an order); the first lesson is due at the next local send hour."""
    hour, zone = send_time_or_defaults(program=program, send_hour=send_hour, timezone_name=timezone_name)
    enrollment = Enrollment.objects.create(
        program=program,
        email=email.strip(),
        name=name,
        origin=origin,
        timezone=zone,
        send_hour=hour,
        status=Enrollment.Status.ACTIVE,
        confirmed_at=now or timezone.now(),
    )
    scheduling.schedule_deliveries(enrollment=enrollment, now=now)
    announce_start(enrollment)
    return enrollment


def enroll_order(*, order, now: dt.datetime | None = None) -> list[Enrollment]:
    """Enroll a paid order's buyer in every program its products grant, once per program.

    Safe to call any number of times, also concurrently: (order, program) is unique and
    `get_or_create` returns the row another call created.
    """
    product_ids = {line.product_id for line in order.lines.all()}  # prefetched by the shop's announcement
    programs = Program.objects.active().filter(granted_by__in=product_ids).distinct().order_by("pk")
    enrollments = []
    for program in programs:
        with transaction.atomic():
            enrollment, created = Enrollment.objects.get_or_create(
                order=order,
                program=program,
                defaults={
                    "email": order.email,
                    "name": order.customer_name,
                    "origin": Enrollment.Origin.ORDER,
                    "timezone": schedule.timezone_for_address(order.shipping_address),
                    "send_hour": program.send_hour,
                    "status": Enrollment.Status.ACTIVE,
                    "confirmed_at": now or timezone.now(),
                },
            )
            if created:
                scheduling.schedule_deliveries(enrollment=enrollment, now=now)
                announce_start(enrollment)
                logger.info("enrolled %s in %s (order %s)", mask_email(order.email), program.slug, order.number)
        enrollments.append(enrollment)
    return enrollments


@transaction.atomic
def cancel_order_enrollments(*, order) -> int:
    """A refunded order stops the programs it started (those still running)."""
    count = 0
    for enrollment in Enrollment.objects.select_for_update().filter(order=order).live():
        enrollment.status = Enrollment.Status.CANCELLED
        enrollment.save(update_fields=["status", "updated_at"])
        _cancel_open_deliveries(enrollment)
        count += 1
    return count


# --- pause, resume, send time, unsubscribe, cancel ------------------------------------------


def _locked(enrollment: Enrollment) -> Enrollment:
    return Enrollment.objects.select_for_update().select_related("program").get(pk=enrollment.pk)


@transaction.atomic
def pause(*, enrollment: Enrollment, now: dt.datetime | None = None) -> Enrollment:
    enrollment = _locked(enrollment)
    if enrollment.status == Enrollment.Status.PAUSED:
        raise EnrollmentStateError("already_paused", "This program is already paused.")
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise EnrollmentStateError(
            "not_active",
            f"Only a running program can be paused; this one is {enrollment.get_status_display().lower()}.",
        )
    enrollment.status = Enrollment.Status.PAUSED
    enrollment.paused_at = now or timezone.now()
    enrollment.save(update_fields=["status", "paused_at", "updated_at"])
    enrollment.deliveries.filter(status=Delivery.Status.SCHEDULED).update(
        status=Delivery.Status.HELD, updated_at=timezone.now()
    )
    return enrollment


@transaction.atomic
def resume(*, enrollment: Enrollment, now: dt.datetime | None = None) -> Enrollment:
    """Continue with the next unsent lesson; the rest move later by the days spent paused."""
    now = now or timezone.now()
    enrollment = _locked(enrollment)
    if enrollment.status != Enrollment.Status.PAUSED:
        if enrollment.status == Enrollment.Status.ACTIVE:
            raise EnrollmentStateError("not_paused", "This program is not paused.")
        if enrollment.status == Enrollment.Status.STOPPED:
            raise EnrollmentStateError("membership_ended", MEMBERSHIP_ENDED)
        raise EnrollmentStateError(
            "not_paused", f"This program is {enrollment.get_status_display().lower()}; it cannot be resumed."
        )
    paused_on = schedule.local_today(enrollment.timezone, enrollment.paused_at or now)
    shift = max((schedule.local_today(enrollment.timezone, now) - paused_on).days, 0)
    enrollment.anchor_date = (enrollment.anchor_date or paused_on) + dt.timedelta(days=shift)
    held = enrollment.deliveries.filter(status=Delivery.Status.HELD)
    scheduling.advance_anchor(enrollment=enrollment, now=now, unsent=held)
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.paused_at = None
    enrollment.save(update_fields=["status", "paused_at", "anchor_date", "updated_at"])
    scheduling.reschedule_deliveries(enrollment=enrollment, deliveries=held, new_status=Delivery.Status.SCHEDULED)
    if complete_if_finished(enrollment=enrollment):  # its last lessons were deleted while it was paused
        enrollment.status = Enrollment.Status.COMPLETED
    return enrollment


@transaction.atomic
def change_send_time(*, enrollment: Enrollment, send_hour: int, timezone_name: str | None = None) -> Enrollment:
    """A new local hour (and zone) for every lesson not sent yet.

    The hour is required (a change has no default to fall back to); an absent zone keeps the
    current one. Invalid values raise Django's ValidationError, as the forms and the API do.
    """
    validate_send_hour(send_hour)
    if timezone_name:
        validate_time_zone(timezone_name)
    enrollment = _locked(enrollment)
    if not enrollment.is_live:
        raise EnrollmentStateError("not_active", f"This program is {enrollment.get_status_display().lower()}.")
    enrollment.send_hour = send_hour
    if timezone_name:
        enrollment.timezone = timezone_name
    if enrollment.anchor_date:
        scheduling.advance_anchor(enrollment=enrollment, now=timezone.now(), unsent=enrollment.deliveries.open())
    enrollment.save(update_fields=["send_hour", "timezone", "anchor_date", "updated_at"])
    if enrollment.anchor_date:
        scheduling.reschedule_deliveries(enrollment=enrollment, deliveries=enrollment.deliveries.open())
    return enrollment


@transaction.atomic
def unsubscribe(*, enrollment: Enrollment) -> Enrollment:
    """Stop at once. Raises `already_unsubscribed` the second time (the one-click page ignores it)."""
    enrollment = _locked(enrollment)
    if enrollment.status == Enrollment.Status.UNSUBSCRIBED:
        raise EnrollmentStateError("already_unsubscribed", "This address is already unsubscribed from this program.")
    enrollment.status = Enrollment.Status.UNSUBSCRIBED
    enrollment.save(update_fields=["status", "updated_at"])
    _cancel_open_deliveries(enrollment)
    engagement.record_unsubscribe(enrollment=enrollment)  # the lesson they left after (issue 15)
    return enrollment


@transaction.atomic
def rejoin(*, enrollment: Enrollment, now: dt.datetime | None = None) -> Enrollment:
    """Take an unsubscribed program up again (issue 11, item 8): the lessons it did not get follow from the
    next send hour, one per send day, in their order. Only what `selectors.rejoin_offer` allows."""
    now = now or timezone.now()
    enrollment = _locked(enrollment)
    first = selectors.rejoin_offer(enrollment, now=now)
    if first is None:
        raise EnrollmentStateError(
            "cannot_rejoin",
            "This program cannot be taken up again here: it has ended, or it was not one you bought. "
            "Write to us and we will sort it out.",
        )
    _continue_from(enrollment, first_day=first.step.day, now=now)
    logger.info("enrollment %s rejoined %s", enrollment.pk, enrollment.program.slug)
    return enrollment


def _continue_from(enrollment: Enrollment, *, first_day: int, now: dt.datetime) -> None:
    """Running again (locked by the caller): the lesson of `first_day` at the next send hour, the cancelled and
    missing ones after it on the following send days."""
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.anchor_date = schedule.first_start_date(enrollment.timezone, enrollment.send_hour, now)
    enrollment.anchor_day = first_day
    enrollment.paused_at = None
    enrollment.save(update_fields=["status", "anchor_date", "anchor_day", "paused_at", "updated_at"])
    unsent = enrollment.deliveries.filter(status=Delivery.Status.CANCELLED, step__day__gte=first_day)
    scheduling.reschedule_deliveries(enrollment=enrollment, deliveries=unsent, new_status=Delivery.Status.SCHEDULED)
    scheduling.schedule_missing_steps(enrollment=enrollment, from_day=first_day)


# --- a member's programs follow the membership (programs.memberships decides which) ---------


def stop_for_membership(*, enrollment: Enrollment) -> bool:
    """No membership grants it now: a running member enrollment (locked by the caller) stops where it is, its
    unsent lessons cancelled and the sent ones kept. Anything else is left as it is; True when it stopped."""
    if enrollment.origin != Enrollment.Origin.MEMBER or enrollment.status not in RUNNING:
        return False
    enrollment.status = Enrollment.Status.STOPPED
    enrollment.paused_at = None
    enrollment.save(update_fields=["status", "paused_at", "updated_at"])
    _cancel_open_deliveries(enrollment)
    return True


def continue_for_membership(*, enrollment: Enrollment, now: dt.datetime | None = None) -> bool:
    """A membership grants it again: a stopped member enrollment (locked by the caller) continues with its first
    lesson not sent, at the next send hour (not from lesson 1); completed when nothing is left. True when it
    changed."""
    if enrollment.status != Enrollment.Status.STOPPED:
        return False
    first_day = selectors.first_unsent_day(enrollment)
    if first_day is None:
        enrollment.status = Enrollment.Status.COMPLETED
        enrollment.save(update_fields=["status", "updated_at"])
        return True
    _continue_from(enrollment, first_day=first_day, now=now or timezone.now())
    return True


@transaction.atomic
def stop_member_enrollments(queryset) -> int:
    """The bulk form of `stop_for_membership` (a plan that stops granting a program): the running member
    enrollments in `queryset` stop, their unsent lessons cancelled; three queries in all."""
    now = timezone.now()
    running = queryset.filter(origin=Enrollment.Origin.MEMBER, status__in=RUNNING)
    ids = list(running.select_for_update().values_list("pk", flat=True))
    Delivery.objects.open().filter(enrollment_id__in=ids).update(status=Delivery.Status.CANCELLED, updated_at=now)
    return Enrollment.objects.filter(pk__in=ids).update(
        status=Enrollment.Status.STOPPED, paused_at=None, updated_at=now
    )


def enroll_members(*, program: Program, emails: list[str], profiles: dict, now: dt.datetime) -> list[Enrollment]:
    """The bulk form of `enroll` for members (a plan that starts granting a program), in a constant number of
    queries: `profiles` maps an upper-cased address to its (time zone, name). An address enrolled in the program
    meanwhile is skipped (one member enrollment per program and address). Returns the new enrollments."""
    rows = []
    for email in emails:
        zone, name = profiles.get(email.upper(), (settings.TIME_ZONE, ""))
        zone = zone if schedule.is_valid_timezone(zone) else settings.TIME_ZONE
        rows.append(
            Enrollment(
                program=program,
                email=email,
                name=name,
                origin=Enrollment.Origin.MEMBER,
                timezone=zone,
                send_hour=program.send_hour,
                status=Enrollment.Status.ACTIVE,
                confirmed_at=now,
                anchor_date=schedule.first_start_date(zone, program.send_hour, now),
                anchor_day=0,
            )
        )
    Enrollment.objects.bulk_create(rows, ignore_conflicts=True)  # the ids are not returned then: read them back
    created = list(Enrollment.objects.filter(token__in=[row.token for row in rows]))
    scheduling.schedule_new_enrollments(program=program, enrollments=created)
    for enrollment in created:
        announce_start(enrollment)
    return created


@transaction.atomic
def cancel(*, enrollment: Enrollment) -> Enrollment:
    """Staff stop it; an enrollment that has ended already stays as it is."""
    enrollment = _locked(enrollment)
    if enrollment.is_live or enrollment.status == Enrollment.Status.STOPPED:
        enrollment.status = Enrollment.Status.CANCELLED
        enrollment.save(update_fields=["status", "updated_at"])
        _cancel_open_deliveries(enrollment)
    return enrollment


# --- completion and suppression -----------------------------------------------------------


def complete_if_finished(*, enrollment: Enrollment) -> bool:
    """The last lesson went out (or was given up): the program is completed.

    Nothing left to send is checked twice, the second time with the enrollment locked:
    a lesson staff add at this very moment (`schedule_step_for_enrollments` holds the
    enrollment while it inserts) is seen, and the program does not end before it.
    """
    unfinished = enrollment.deliveries.unfinished()
    if unfinished.exists():
        return False
    with transaction.atomic():
        Enrollment.objects.select_for_update().filter(pk=enrollment.pk).values_list("pk", flat=True).first()
        if unfinished.exists():
            return False
        return bool(
            Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
                status=Enrollment.Status.COMPLETED, updated_at=timezone.now()
            )
        )


@transaction.atomic
def end_enrollments_of_suppressed(*, email: str, reason: str) -> None:
    """A hard bounce ends the address's live enrollments as bounced, a complaint as unsubscribed."""
    end_status = {
        Suppression.Reason.HARD_BOUNCE: Enrollment.Status.BOUNCED,
        Suppression.Reason.COMPLAINT: Enrollment.Status.UNSUBSCRIBED,
    }.get(reason)
    if end_status:
        ended = [*LIVE_STATUSES, Enrollment.Status.STOPPED]  # a stopped member's program must not come back
        for enrollment in Enrollment.objects.select_for_update().filter(email__iexact=email, status__in=ended):
            enrollment.status = end_status
            enrollment.save(update_fields=["status", "updated_at"])
            _cancel_open_deliveries(enrollment)
