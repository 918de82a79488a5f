"""An enrollment's life: enrolled (an order, staff, or a confirmed free signup), paused, resumed, ended.

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
from programs import confirmations, schedule, scheduling, selectors
from programs.models import Delivery, Enrollment, Program
from programs.signals import enrollment_started
from programs.validators import validate_send_hour, validate_time_zone

logger = logging.getLogger(__name__)


class EnrollmentStateError(Refusal):
    """A move the enrollment's status does not allow (resume a completed program, …)."""

    status_code = 409


def _send_time_or_defaults(*, program: Program, send_hour: int | None, timezone_name: str | None) -> tuple[int, str]:
    """An absent hour is the program's and an absent zone the site's; a given one must be valid (ValidationError)."""
    hour = program.send_hour if send_hour is None else send_hour
    zone = timezone_name or settings.TIME_ZONE
    validate_send_hour(hour)
    validate_time_zone(zone)
    return hour, zone


def _cancel_open_deliveries(enrollment: Enrollment) -> None:
    enrollment.deliveries.open().update(status=Delivery.Status.CANCELLED, updated_at=timezone.now())


def _announce_start(enrollment: Enrollment) -> None:
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
    hour, zone = _send_time_or_defaults(program=program, send_hour=send_hour, timezone_name=timezone_name)
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
    _announce_start(enrollment)
    return enrollment


def enroll_order(*, order, now: dt.datetime | None = None) -> list[Enrollment]:
    """Enroll a paid order's buyer in every program its products grant, once per program.

    Safe to call any number of times, also concurrently: (order, program) is unique and
    `get_or_create` returns the row another call created.
    """
    product_ids = list(order.lines.values_list("product_id", flat=True))
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
                _announce_start(enrollment)
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


# --- free signup with double opt-in -------------------------------------------------------


@transaction.atomic
def signup(
    *,
    program: Program,
    email: str,
    name: str = "",
    timezone_name: str | None = None,
    send_hour: int | None = None,
    now: dt.datetime | None = None,
) -> Enrollment:
    """Record a pending free signup and mail the confirmation link. Nothing else is sent until it is clicked.

    Asking again while pending re-sends the link, within the limits of `programs.confirmations`;
    asking while enrolled changes nothing (and the answer does not tell a stranger which it was).
    """
    hour, zone = _send_time_or_defaults(program=program, send_hour=send_hour, timezone_name=timezone_name)
    email = email.strip()
    # One signup of a program at a time: two requests for one address neither both enroll nor
    # both find room for one more confirmation. NO KEY: enrollments referencing it still insert.
    Program.objects.select_for_update(no_key=True).filter(pk=program.pk).values_list("pk", flat=True).first()
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(program=program, email__iexact=email)
        .live()
        .order_by("pk")
        .first()
    )
    if enrollment is None:
        enrollment = Enrollment.objects.create(
            program=program,
            email=email,
            name=name,
            origin=Enrollment.Origin.SIGNUP,
            timezone=zone,
            send_hour=hour,
            status=Enrollment.Status.PENDING_CONFIRMATION,
        )
    elif enrollment.status != Enrollment.Status.PENDING_CONFIRMATION:
        return enrollment
    claim = confirmations.claim_confirmation(enrollment=enrollment, now=now or timezone.now())
    if claim is not None:
        transaction.on_commit(
            functools.partial(confirmations.send_confirmation, enrollment_id=enrollment.pk, claim_id=claim.pk)
        )
    return enrollment


@transaction.atomic
def confirm_signup(*, enrollment: Enrollment, now: dt.datetime | None = None) -> Enrollment:
    """The link was clicked: start the program (once; a second click changes nothing)."""
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.PENDING_CONFIRMATION:
        return enrollment
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.confirmed_at = now or timezone.now()
    enrollment.save(update_fields=["status", "confirmed_at", "updated_at"])
    scheduling.schedule_deliveries(enrollment=enrollment, now=now)
    _announce_start(enrollment)
    return enrollment


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
    enrollment.status = Enrollment.Status.ACTIVE
    enrollment.anchor_date = schedule.first_start_date(enrollment.timezone, enrollment.send_hour, now)
    enrollment.anchor_day = first.step.day
    enrollment.paused_at = None
    enrollment.save(update_fields=["status", "anchor_date", "anchor_day", "paused_at", "updated_at"])
    unsent = enrollment.deliveries.filter(status=Delivery.Status.CANCELLED)
    scheduling.reschedule_deliveries(enrollment=enrollment, deliveries=unsent, new_status=Delivery.Status.SCHEDULED)
    scheduling.schedule_missing_steps(enrollment=enrollment, from_day=first.step.day)
    logger.info("enrollment %s rejoined %s", enrollment.pk, enrollment.program.slug)
    return enrollment


@transaction.atomic
def cancel(*, enrollment: Enrollment) -> Enrollment:
    """Staff stop it; an enrollment that has ended already stays as it is."""
    enrollment = _locked(enrollment)
    if enrollment.is_live:
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
        for enrollment in Enrollment.objects.select_for_update().filter(email__iexact=email).live():
            enrollment.status = end_status
            enrollment.save(update_fields=["status", "updated_at"])
            _cancel_open_deliveries(enrollment)
