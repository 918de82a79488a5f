"""What programs hold about one customer (an email address, any case), for the accounts app: the export, "stop
all", and erasure (README, "Your data").

Erasure stops every enrollment first (its own commit: from then on a send re-checks the enrollment and skips it),
then waits for any lesson being sent at that moment (its delivery row is locked while it is sent), cancels what is
left, and only then replaces the address with the erasure's pseudonym and blanks the name. The delivery rows are
taken before the enrollments, the order the send takes them in, so the two never deadlock.
"""

from django.db import transaction

from core.privacy import as_record
from core.suppression import normalize_email
from programs import enrollments
from programs.customer import enrollments_of
from programs.models import Delivery, Enrollment, SignupConfirmationMail

STOPPABLE = [*enrollments.RUNNING, Enrollment.Status.PENDING_CONFIRMATION, Enrollment.Status.STOPPED]


def export_enrollments(email: str) -> list[dict]:
    """Every enrollment of the address with its program and each lesson's delivery (sent, opened, …), oldest
    first, in three queries."""
    rows = enrollments_of(email).select_related("program").prefetch_related("deliveries__step")
    records = []
    for enrollment in rows.order_by("created_at", "pk"):
        record = as_record(enrollment, exclude={"token"})
        record["program"] = {"slug": enrollment.program.slug, "name": enrollment.program.name}
        record["deliveries"] = [
            {**as_record(delivery, exclude={"enrollment"}), "lesson": delivery.step.subject}
            for delivery in sorted(enrollment.deliveries.all(), key=lambda d: (d.due_at, d.pk))
        ]
        records.append(record)
    return records


def export_signup_confirmations(email: str) -> list[dict]:
    rows = SignupConfirmationMail.objects.filter(email=normalize_email(email)).order_by("sent_at")
    return [as_record(row, exclude={"id"}) for row in rows]


def stop_all(email: str) -> int:
    """ "Stop all": every program of the address that may still send stops now (unsubscribed, its unsent lessons
    cancelled), through the same service as the one-click unsubscribe; how many stopped."""
    stopped = 0
    for enrollment in enrollments_of(email).filter(status__in=STOPPABLE).order_by("pk"):
        try:
            enrollments.unsubscribe(enrollment=enrollment)
        except enrollments.EnrollmentStateError:  # unsubscribed a moment ago
            continue
        stopped += 1
    return stopped


def stop_for_erasure(email: str) -> int:
    """An erasure's first step, committed on its own: every enrollment of the address that may still send is
    cancelled (its open lessons with it), so a send already claimed re-checks it and skips."""
    stopped = 0
    for enrollment in enrollments_of(email).filter(status__in=STOPPABLE).order_by("pk"):
        enrollments.cancel(enrollment=enrollment)
        stopped += 1
    return stopped


@transaction.atomic
def erase_enrollments(*, email: str, pseudonym: str) -> dict:
    """After `stop_for_erasure`: wait for a lesson being sent right now, cancel whatever is still to go, and
    forget the person (the address becomes the pseudonym, the name goes, send errors that quote the address
    go). Progress, dates and engagement stay, without anyone to tie them to."""
    ids = list(enrollments_of(email).values_list("pk", flat=True))
    deliveries = Delivery.objects.filter(enrollment_id__in=ids)
    # A send in progress holds its delivery row until it commits: this waits for it, then sees it sent.
    list(deliveries.filter(status=Delivery.Status.SENDING).select_for_update().values_list("pk", flat=True))
    cancelled = deliveries.unfinished().update(status=Delivery.Status.CANCELLED)
    deliveries.exclude(last_error="").update(last_error="")
    live = Enrollment.objects.filter(pk__in=ids, status__in=STOPPABLE)
    live.update(status=Enrollment.Status.CANCELLED)
    Enrollment.objects.filter(pk__in=ids).update(email=pseudonym, name="")
    SignupConfirmationMail.objects.filter(email=normalize_email(email)).delete()
    return {"enrollments": len(ids), "lessons_cancelled": cancelled}
