"""Free programs by double opt-in: a signup records a pending enrollment and mails its confirmation link
(within the limits of `programs.confirmations`); the click starts the program. Split from
`programs.enrollments`, whose enrolling, pausing and ending rules it follows."""

import datetime as dt
import functools

from django.db import transaction
from django.utils import timezone

from programs import confirmations, enrollments, scheduling
from programs.models import Enrollment, Program


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
    hour, zone = enrollments.send_time_or_defaults(program=program, send_hour=send_hour, timezone_name=timezone_name)
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
    enrollments.announce_start(enrollment)
    return enrollment
