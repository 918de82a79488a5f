"""Order emails: recorded, sent at once, retried by a Celery task when the mail server is down, and sent
by reconciliation when even the broker was down (each is an `OrderEmail` row until it is sent)."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.mail import MAIL_TASK_RETRY, MailKind, send_templated_email
from core.redaction import loggable, mask_email
from shop.display import format_money
from shop.history import record_order_event
from shop.hooks import extras_for_order
from shop.models import Order, OrderEmail, OrderReturn, Refund

logger = logging.getLogger(__name__)

ORDER_EMAILS = {
    "confirmation": ("shop/email/order_confirmation", "Your Hod & Hod order {number} is confirmed"),
    "shipped": ("shop/email/order_shipped", "Your Hod & Hod order {number} is on its way"),
    "refund": ("shop/email/order_refund", "Your Hod & Hod order {number}: {amount} refunded"),
    "return": ("shop/email/order_return", "Your Hod & Hod order {number}: we received your return"),
}
UNSENT_EMAIL_MIN_AGE = timedelta(minutes=1)  # give the first try and the Celery retry their turn
UNSENT_EMAIL_BATCH = 100


def refund_summary(*, order: Order, refund: Refund) -> dict:
    """What a refund email says: this refund, what had been refunded up to and including it, what the
    customer still has paid, and whether that closes the order. Counted as of this refund, so an email
    sent late (a retry, reconciliation) tells the same story as one sent at once."""
    counted = order.refunds.filter(status__in=Refund.COUNTED_STATUSES, pk__lte=refund.pk)
    refunded = sum((r.amount for r in counted), Decimal("0.00"))
    remaining = max(order.total - refunded, Decimal("0.00"))
    return {
        "refund": refund,
        "amount": format_money(refund.amount, refund.currency),
        "refunded_total": format_money(refunded, order.currency),
        "remaining": format_money(remaining, order.currency),
        "fully_refunded": remaining <= 0,
        "shipped": order.shipped_at is not None,
        "cancelled": order.status == Order.Status.CANCELLED,
    }


def return_summary(*, order_return: OrderReturn) -> dict:
    """What a return email says: the units received, those restocked, and what was refunded for them."""
    lines = list(order_return.lines.select_related("order_line"))
    return {
        "order_return": order_return,
        "returned_lines": lines,
        "damaged": sum(line.quantity - line.restocked for line in lines),
        "amount": format_money(order_return.refund_amount, order_return.order.currency),
        "shipping_refunded": order_return.shipping_refund > 0,
    }


def send_order_email(
    *, order: Order, kind: str, refund: Refund | None = None, order_return: OrderReturn | None = None
) -> str | None:
    template, subject = ORDER_EMAILS[kind]
    context = {"order": order, "lines": list(order.lines.all()), "status_url": order.status_url}
    if refund is not None:
        context.update(refund_summary(order=order, refund=refund))
    elif order_return is not None:
        context.update(return_summary(order_return=order_return))
    else:
        context["order_extras"] = extras_for_order(order)
    message_id = send_templated_email(
        to=order.email,
        kind=MailKind.ORDER,
        subject=subject.format(number=order.number, amount=context.get("amount", "")),
        template=template,
        context=context,
    )
    outcome = "sent to" if message_id else "not sent: hard bounce recorded for"
    record_order_event(order=order, kind="email", message=f"{kind} email {outcome} {mask_email(order.email)}")
    return message_id


def send_recorded_email(*, email_id: int, order: Order | None = None) -> bool:
    """Send one recorded order email unless it was sent already; True once it is sent.

    The row is locked while it is sent (`SKIP LOCKED`: whoever else holds it is sending it), so the first
    try, the Celery retry and reconciliation never send it twice. Raises what the mail backend raised,
    after recording it on the row. `order`: its order, when the caller holds it already (read otherwise)."""
    with transaction.atomic():
        email = OrderEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None or email.sent_at is not None:
            return email is not None
        email.attempts += 1
        try:
            with transaction.atomic():  # a savepoint: whatever fails, the attempt is still recorded below
                if order is None or order.pk != email.order_id:
                    order = Order.objects.get(pk=email.order_id)
                send_order_email(order=order, kind=email.kind, refund=email.refund, order_return=email.order_return)
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


def _unsent_email_id(order_id: int, kind: str) -> int:
    """The order's email of this kind (the newest), recorded now if it never was."""
    email = OrderEmail.objects.filter(order_id=order_id, kind=kind).order_by("-pk").first()
    return email.pk if email is not None else OrderEmail.objects.create(order_id=order_id, kind=kind).pk


# Beside the function it retries (not in tasks.py): deliver_order_email queues it, and tasks.py imports us.
@shared_task(
    name="shop.send_order_email",
    **MAIL_TASK_RETRY,
)
def send_order_email_task(order_id: int, kind: str, email_id: int | None = None) -> bool:
    return send_recorded_email(email_id=email_id or _unsent_email_id(order_id, kind))


def record_order_email(
    *, order_id: int, kind: str, refund: Refund | None = None, order_return: OrderReturn | None = None
) -> int:
    """Record an email the order's customer is owed; call in the transaction that makes it owed. A refund
    email names its refund, a return email its return, and each has one email at most (a one-to-one key):
    recording it again gives the email already recorded, sent or not."""
    if refund is not None:
        return OrderEmail.objects.get_or_create(refund=refund, defaults={"order_id": order_id, "kind": kind})[0].pk
    if order_return is not None:
        defaults = {"order_id": order_id, "kind": kind}
        return OrderEmail.objects.get_or_create(order_return=order_return, defaults=defaults)[0].pk
    return OrderEmail.objects.create(order_id=order_id, kind=kind).pk


def deliver_order_email(*, order_id: int, kind: str, email_id: int | None = None, order: Order | None = None) -> None:
    """Send the recorded email (recorded now without `email_id`); if the mail server is down, hand it to the
    retrying Celery task; if the broker is down too, the row waits for reconciliation (`send_unsent_order_emails`).
    `order`: the order, when the caller holds it already."""
    email_id = email_id or record_order_email(order_id=order_id, kind=kind)
    try:
        send_recorded_email(email_id=email_id, order=order)
    except Exception as exc:
        logger.error("sending the %s email for order %s failed (%s); queueing a retry", kind, order_id, loggable(exc))
        try:
            send_order_email_task.delay(order_id, kind, email_id)
        except Exception as exc:
            logger.error(
                "could not queue the %s email for order %s (%s); reconciliation will send it",
                kind,
                order_id,
                loggable(exc),
            )


def send_unsent_order_emails(*, now: datetime | None = None) -> tuple[int, int]:
    """Send recorded order emails still unsent (fewest attempts first); (sent, failed). Stops at the first
    failure: the mail server is down, and the next pass tries again."""
    now = now or timezone.now()
    unsent = OrderEmail.objects.filter(sent_at__isnull=True, created_at__lt=now - UNSENT_EMAIL_MIN_AGE)
    sent = 0
    for email_id in unsent.order_by("attempts", "created_at").values_list("pk", flat=True)[:UNSENT_EMAIL_BATCH]:
        try:
            sent += send_recorded_email(email_id=email_id)
        except Exception as exc:
            logger.error("sending unsent order email %s failed again: %s", email_id, loggable(exc))
            return sent, 1
    return sent, 0
