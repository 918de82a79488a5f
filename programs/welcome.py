"""The welcome email: once per enrollment, when a paid order's or a membership's program starts or a free signup
is confirmed.

It says which program this is, what to expect, when the first lesson arrives on the customer's own
clock, and where to change that. Queued on the worker after the enrollment commits
(`programs.receivers` → `programs.tasks.send_welcome`), retried there when the mail server is away,
and recorded on the enrollment (`welcomed_at`), so a redelivered task sends nothing twice.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.mail import MailKind, send_templated_email
from core.redaction import mask_email
from programs import lessons, selectors
from programs.dispatch import Outcome, is_transient
from programs.models import Enrollment

logger = logging.getLogger(__name__)

# Staff who enroll someone by hand tell them themselves.
WELCOMED_ORIGINS = frozenset({"order", "signup", "member"})
WELCOMED_STATUSES = frozenset({Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED})


def welcome_context(enrollment: Enrollment) -> dict:
    program = enrollment.program
    first = selectors.next_delivery(enrollment)
    _, total = selectors.progress(enrollment)
    return {
        "program": program,
        "name": enrollment.name,
        "lesson_count": total,
        "every_day": program.weekdays == frozenset(range(7)),
        "send_time": selectors.send_time_label(enrollment.send_hour),
        "zone_name": selectors.enrollment_zone(enrollment).key,
        "first_lesson": first.step if first else None,
        "first_lesson_at": selectors.local_label(enrollment, first.due_at, long=True) if first else "",
        "reason": lessons.origin_reason(enrollment.origin),
        "with_membership": enrollment.origin == Enrollment.Origin.MEMBER,
        "manage_url": lessons.manage_url(enrollment),
        "unsubscribe_url": lessons.unsubscribe_url(enrollment),
    }


def send_welcome(*, enrollment_id: int, final_attempt: bool = True) -> Outcome:
    """Send the enrollment's welcome unless it went already; the row stays locked while it is sent.

    A second task for the same enrollment (a redelivery) waits for the lock and then finds it sent.
    """
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(no_key=True, of=("self",))
            .select_related("program")
            .filter(pk=enrollment_id)
            .first()
        )
        if enrollment is None or enrollment.welcomed_at is not None:
            return Outcome.NOTHING
        if enrollment.origin not in WELCOMED_ORIGINS or enrollment.status not in WELCOMED_STATUSES:
            return Outcome.SKIPPED
        unsubscribe = lessons.unsubscribe_url(enrollment)
        try:
            message_id = send_templated_email(
                to=enrollment.email,
                kind=MailKind.WELCOME,
                subject=f"Welcome to {enrollment.program.name}",
                template="programs/email/welcome",
                context=welcome_context(enrollment),
                from_email=settings.PROGRAMS_FROM_EMAIL,
                headers=lessons.list_headers(
                    program_slug=enrollment.program.slug, program_name=enrollment.program.name, unsubscribe=unsubscribe
                ),
            )
        except Exception as error:  # noqa: BLE001 - a transient one is retried by the task, the rest logged
            if is_transient(error) and not final_attempt:
                logger.warning("welcome to enrollment %s: transient error, will retry: %s", enrollment.pk, error)
                return Outcome.RETRY
            logger.error("welcome to %s failed: %s", mask_email(enrollment.email), f"{type(error).__name__}: {error}")
            return Outcome.FAILED
        Enrollment.objects.filter(pk=enrollment.pk).update(welcomed_at=timezone.now())
    return Outcome.SENT if message_id else Outcome.SKIPPED
