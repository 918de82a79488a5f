"""Checkout recovery (issue 12): one reminder for a checkout that expired unpaid, with Stripe's link back.

Every session is made with `after_expiration[recovery][enabled]` and `consent_collection[promotions]=auto`
(shop.checkout). The customer's answer to the promotions box, in a completed or an expired session, goes to
the consent log (core.consent) under both topics, news and recovery, once per session. When a session whose
customer ticked the box expires, one `CheckoutRecovery` row is recorded (its session id is unique: one email
however often the expiry is seen), due CHECKOUT_RECOVERY_DELAY minutes later; the periodic pass
(reconciliation) sends it then with Stripe's recovery URL and the order's lines, unless by then:

- the customer withdrew consent (the latest statement in the log wins),
- they have paid an order since the session was made (the same email, this order or another),
- Stripe's recovery link has expired (30 days), or staff cancelled the order;

and the one mail function (MailKind.RECOVERY) refuses a suppressed address. A customer who follows the link
pays a new session that names the expired one (`recovered_from`): shop.fulfilment applies it to this order.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.consent import has_consent, record_consents_once
from core.mail import MailKind, send_templated_email
from core.redaction import loggable, mask_email
from shop.display import format_time
from shop.history import record_order_event
from shop.models import CheckoutRecovery, Order

logger = logging.getLogger(__name__)
CONSENT_TOPICS = ("news", "recovery")  # Stripe's promotions box: promotional email, of which a reminder is one
RECOVERY_BATCH = 100
MAX_ATTEMPTS = 5
Status = CheckoutRecovery.Status


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _moment(value) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 32503680000:
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _session_email(order: Order, session: dict) -> str:
    email = _dict(session.get("customer_details")).get("email") or session.get("customer_email")
    return email if isinstance(email, str) and "@" in email else order.email


def record_session_consent(*, order: Order, session: dict) -> None:
    """The customer's answer to Stripe's promotions box (`consent.promotions`: opt_in or opt_out), into the
    consent log, once per session: a session seen again never re-grants what was withdrawn since."""
    promotions = _dict(session.get("consent")).get("promotions")
    session_id = session.get("id")
    if promotions not in ("opt_in", "opt_out") or not isinstance(session_id, str):
        return
    record_consents_once(
        email=_session_email(order, session),
        topics=CONSENT_TOPICS,
        granted=promotions == "opt_in",
        source=f"checkout:{session_id}",
    )


def _cancelled_by_staff(order: Order) -> bool:
    return order.events.filter(to_status=Order.Status.CANCELLED, actor_user__isnull=False).exists()


def schedule_recovery(*, order: Order, session: dict) -> CheckoutRecovery | None:
    """Record the one reminder an expired session owes (call with the order locked), when Stripe kept a
    recovery link and the customer ticked the promotions box; None when it owes none."""
    recovery = _dict(_dict(session.get("after_expiration")).get("recovery"))
    url, session_id = recovery.get("url"), session.get("id")
    opted_in = _dict(session.get("consent")).get("promotions") == "opt_in"
    if not (isinstance(url, str) and url.startswith(("https://", "http://")) and isinstance(session_id, str)):
        return None
    if not opted_in or order.paid_at is not None or _cancelled_by_staff(order):
        return None
    due = timezone.now() + timedelta(minutes=float(getattr(settings, "CHECKOUT_RECOVERY_DELAY", 60)))
    try:
        with transaction.atomic():
            row, created = CheckoutRecovery.objects.get_or_create(
                session_id=session_id[:255],
                defaults={
                    "order": order,
                    "email": _session_email(order, session),
                    "recovery_url": url[:2000],
                    "recovery_expires_at": _moment(recovery.get("expires_at")),
                    "session_created_at": _moment(session.get("created")) or order.created_at,
                    "due_at": due,
                },
            )
    except IntegrityError:  # recorded concurrently by another sighting of the same expiry
        return None
    if created:
        record_order_event(
            order=order,
            kind="recovery_scheduled",
            message=f"Checkout expired; one reminder with Stripe's recovery link is due {format_time(due)} "
            "unless the customer pays or withdraws consent first.",
        )
    return row


def _reason_not_to_send(row: CheckoutRecovery, now: datetime) -> str:
    if row.recovery_expires_at is not None and row.recovery_expires_at <= now:
        return "Stripe's recovery link has expired."
    if (
        row.order.paid_at is not None
        or Order.objects.filter(email__iexact=row.email, paid_at__gte=row.session_created_at).exists()
    ):
        return "The customer has paid an order since."
    if not has_consent(row.email, "recovery"):
        return "The customer withdrew consent to promotional email."
    if row.order.status == Order.Status.CANCELLED and _cancelled_by_staff(row.order):
        return "Staff cancelled the order."
    return ""


def _deliver(row: CheckoutRecovery) -> str | None:
    order = row.order
    return send_templated_email(
        to=row.email,
        kind=MailKind.RECOVERY,
        subject="Your Hod & Hod cart is still waiting",
        template="shop/email/checkout_recovery",
        context={
            "order": order,
            "lines": list(order.lines.all()),
            "recovery_url": row.recovery_url,
            "recovery_expires_at": row.recovery_expires_at,
            # The account's page of what we may send (the contract's URL; the shop does not import accounts).
            "preferences_url": f"{settings.SITE_URL}/account/preferences/",
        },
    )


def _finish(row: CheckoutRecovery, status: str, message: str, reason: str = "", now: datetime | None = None) -> None:
    row.status, row.skipped_reason = status, reason[:200]
    if status == Status.SENT:
        row.sent_at = now or timezone.now()
    row.save(update_fields=["status", "skipped_reason", "sent_at", "attempts", "last_error"])
    record_order_event(order=row.order, kind="recovery_email", message=message)


def send_recovery(*, recovery_id: int, now: datetime | None = None) -> str:
    """Send one due reminder, or record why not; "sent", "skipped", "failed" (retried next pass) or "busy"
    (another process holds it). The row stays locked while it is sent: never twice."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            CheckoutRecovery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("order")
            .filter(pk=recovery_id, status=Status.PENDING)
            .first()
        )
        if row is None:
            return "busy"
        reason = _reason_not_to_send(row, now)
        if reason:
            _finish(row, Status.SKIPPED, f"Recovery email not sent: {reason}", reason)
            return "skipped"
        row.attempts += 1
        try:
            with transaction.atomic():
                message_id = _deliver(row)
        except Exception as exc:
            row.last_error = loggable(exc)
            if row.attempts >= MAX_ATTEMPTS:
                _finish(
                    row, Status.SKIPPED, "Recovery email given up.", f"The mail server refused it {row.attempts} times."
                )
            else:
                row.save(update_fields=["attempts", "last_error"])
            logger.error("recovery email for order %s failed: %s", row.order.number, loggable(exc))
            return "failed"
        if message_id is None:
            _finish(row, Status.SKIPPED, "Recovery email not sent: the address is suppressed.", "Suppressed address.")
            return "skipped"
        _finish(row, Status.SENT, f"Recovery email sent to {mask_email(row.email)}.", now=now)
    return "sent"


def send_due_recovery_emails(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic pass (reconciliation): every reminder due by `now`, oldest first, at most RECOVERY_BATCH."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0, "failed": 0, "busy": 0}
    due = CheckoutRecovery.objects.filter(status=Status.PENDING, due_at__lte=now).order_by("due_at", "pk")
    for recovery_id in due.values_list("pk", flat=True)[:RECOVERY_BATCH]:
        counts[send_recovery(recovery_id=recovery_id, now=now)] += 1
    return counts
