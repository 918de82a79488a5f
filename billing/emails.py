"""Membership emails: recorded in the transaction that owes them (once per subscription, kind and key), sent
after commit, retried by a Celery task when the mail server is down, and sent by reconciliation when even the
broker was down (each is a `MembershipEmail` row until it is sent)."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.history import SYSTEM, record_subscription_event
from billing.links import portal_link
from billing.models import MembershipEmail, Subscription
from core.mail import MAIL_TASK_RETRY, MailKind, send_templated_email
from core.redaction import loggable, mask_email

logger = logging.getLogger(__name__)
Kind = MembershipEmail.Kind

# kind → (template, subject, mail kind: payment-failed mail is its own kind, the rest is membership mail)
MEMBERSHIP_EMAILS = {
    Kind.WELCOME: ("billing/email/welcome", "Welcome to {plan}", MailKind.MEMBERSHIP),
    Kind.PAYMENT_FAILED: ("billing/email/payment_failed", "Your {plan} payment did not go through", MailKind.PAYMENT_FAILED),
    Kind.RENEWAL_REMINDER: ("billing/email/renewal_reminder", "Your {plan} membership renews soon", MailKind.MEMBERSHIP),
    Kind.CANCELLATION_SCHEDULED: ("billing/email/cancellation_scheduled", "Your {plan} membership will end", MailKind.MEMBERSHIP),
    Kind.CANCELED: ("billing/email/canceled", "Your {plan} membership has ended", MailKind.MEMBERSHIP),
}  # fmt: skip
UNSENT_EMAIL_MIN_AGE = timedelta(minutes=1)  # give the first try and the Celery retry their turn
UNSENT_EMAIL_BATCH = 100


def owe_membership_email(*, subscription: Subscription, kind: str, key: str = "", details: dict | None = None) -> None:
    """Record an email the member is owed, once per (subscription, kind, key), and send it after commit.
    Call inside the transaction that makes it owed: a duplicate event owes nothing more."""
    try:
        with transaction.atomic():  # a savepoint: the unique constraint refuses what is owed already
            email = MembershipEmail.objects.create(
                subscription=subscription, kind=kind, key=key[:100], details=details or {}
            )
    except IntegrityError:
        return
    transaction.on_commit(lambda: deliver_membership_email(email_id=email.pk))


def send_membership_email(*, email: MembershipEmail) -> str | None:
    subscription = email.subscription
    template, subject, mail_kind = MEMBERSHIP_EMAILS[email.kind]
    message_id = send_templated_email(
        to=subscription.email,
        kind=mail_kind,
        subject=subject.format(plan=subscription.plan.name),
        template=template,
        context={
            "subscription": subscription,
            "plan": subscription.plan,
            "details": email.details,
            "portal_url": portal_link(subscription),
        },
    )
    outcome = "sent to" if message_id else "not sent (suppressed address):"
    record_subscription_event(
        subscription=subscription,
        kind="email",
        actor=SYSTEM,
        message=f"{email.get_kind_display()} email {outcome} {mask_email(subscription.email)}",
    )
    return message_id


def send_recorded_email(*, email_id: int) -> bool:
    """Send one recorded membership email unless it was sent already; True once it is sent.

    The row is locked while it is sent (`SKIP LOCKED`: whoever else holds it is sending it), so the first
    try, the Celery retry and reconciliation never send it twice. Raises what the mail backend raised,
    after recording it on the row."""
    with transaction.atomic():
        email = (
            MembershipEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__plan")
            .filter(pk=email_id)
            .first()
        )
        if email is None or email.sent_at is not None:
            return email is not None
        email.attempts += 1
        try:
            with transaction.atomic():  # a savepoint: whatever fails, the attempt is still recorded below
                send_membership_email(email=email)
        except Exception as exc:
            error = exc
        else:
            email.sent_at, email.last_error, error = timezone.now(), "", None
        if error is not None:
            email.last_error = loggable(error)
        email.save(update_fields=["attempts", "sent_at", "last_error"])
    if error is not None:
        raise error
    return True


# Beside the function it retries (not in tasks.py): deliver_membership_email queues it.
@shared_task(
    name="billing.send_membership_email",
    **MAIL_TASK_RETRY,
)
def send_membership_email_task(email_id: int) -> bool:
    return send_recorded_email(email_id=email_id)


def deliver_membership_email(*, email_id: int) -> None:
    """Send the recorded email; if the mail server is down, hand it to the retrying Celery task; if the broker
    is down too, the row waits for reconciliation (`send_unsent_membership_emails`)."""
    try:
        send_recorded_email(email_id=email_id)
    except Exception as exc:
        logger.error("sending membership email %s failed (%s); queueing a retry", email_id, loggable(exc))
        try:
            send_membership_email_task.delay(email_id)
        except Exception as exc:
            logger.error(
                "could not queue membership email %s (%s); reconciliation will send it", email_id, loggable(exc)
            )


def send_unsent_membership_emails(*, now: datetime | None = None) -> tuple[int, int]:
    """Send recorded membership emails still unsent (fewest attempts first); (sent, failed). Stops at the first
    failure: the mail server is down, and the next pass tries again."""
    now = now or timezone.now()
    unsent = MembershipEmail.objects.filter(sent_at__isnull=True, created_at__lt=now - UNSENT_EMAIL_MIN_AGE)
    sent = 0
    for email_id in unsent.order_by("attempts", "created_at").values_list("pk", flat=True)[:UNSENT_EMAIL_BATCH]:
        try:
            sent += send_recorded_email(email_id=email_id)
        except Exception as exc:
            logger.error("sending unsent membership email %s failed again: %s", email_id, loggable(exc))
            return sent, 1
    return sent, 0
