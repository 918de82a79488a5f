"""Order emails: sent at once, and retried by a Celery task when the mail server is down."""

import logging

from celery import shared_task

from core.mail import MailKind, send_templated_email
from core.redaction import loggable, mask_email
from shop.history import record_order_event
from shop.models import Order

logger = logging.getLogger(__name__)

ORDER_EMAILS = {
    "confirmation": ("shop/email/order_confirmation", "Your Hod & Hod order {number} is confirmed"),
    "shipped": ("shop/email/order_shipped", "Your Hod & Hod order {number} is on its way"),
}


def send_order_email(*, order: Order, kind: str) -> str | None:
    template, subject = ORDER_EMAILS[kind]
    lines = list(order.lines.all())
    message_id = send_templated_email(
        to=order.email,
        kind=MailKind.ORDER,
        subject=subject.format(number=order.number),
        template=template,
        context={"order": order, "lines": lines, "status_url": order.status_url},
    )
    outcome = "sent to" if message_id else "not sent: hard bounce recorded for"
    record_order_event(order=order, kind="email", message=f"{kind} email {outcome} {mask_email(order.email)}")
    return message_id


# Beside the function it retries (not in tasks.py): deliver_order_email queues it, and tasks.py imports us.
@shared_task(
    name="shop.send_order_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_order_email_task(order_id: int, kind: str) -> str:
    return send_order_email(order=Order.objects.get(pk=order_id), kind=kind)


def deliver_order_email(*, order_id: int, kind: str, order: Order | None = None) -> None:
    """Send now; if the mail server is down, hand it to the retrying Celery task."""
    try:
        send_order_email(order=order or Order.objects.get(pk=order_id), kind=kind)
    except Exception as exc:
        logger.error("sending the %s email for order %s failed (%s); queueing a retry", kind, order_id, loggable(exc))
        try:
            send_order_email_task.delay(order_id, kind)
        except Exception as exc:
            logger.error("could not queue the %s email for order %s: %s", kind, order_id, loggable(exc))
