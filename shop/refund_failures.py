"""Refunds that fail after Stripe accepted them (the customer's card was closed, lost, …).

Stripe tells us days later (charge.refund.updated, refund.updated, refund.failed, each with the refund), puts
the money back in our balance and lowers the charge's `amount_refunded`. The refund stops counting; the
customer's refund email already went and is not taken back: a person has to pay them another way, so the
order is flagged and staff (`STAFF_ALERT_EMAILS`) are mailed once per failed refund. Failed and canceled are
final at Stripe, so a late report of an earlier state (a retried charge.refunded) never brings one back.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from core.mail import MAIL_TASK_RETRY, MailKind, send_templated_email
from core.redaction import loggable, mask_email
from shop.display import format_money
from shop.history import record_order_event
from shop.models import Order, Refund
from shop.orders import flag_order

logger = logging.getLogger(__name__)

TEMPLATE = "shop/email/refund_failed_alert"
FINAL_STATUSES = ("failed", "canceled")  # Stripe never moves a refund out of these


def failure_sentence(refund: Refund, failure_reason: str) -> str:
    """ "Refund re_… of 59.00 USD failed (Stripe's reason: expired_or_canceled_card)." """
    verb = "was canceled" if refund.status == "canceled" else "failed"
    amount = format_money(refund.amount, refund.currency)
    return f"Refund {refund.stripe_refund_id} of {amount} {verb} (Stripe's reason: {failure_reason or 'none given'})."


def change_refund_status(
    *, order: Order, refund: Refund, status: str, failure_reason: str = "", stripe_event_id: str = ""
) -> bool:
    """Give the refund of the (locked) order the status Stripe reports; True when it changed. A refund that
    counted and no longer does is recorded in the order's history and handed to staff."""
    if not status or status == refund.status or refund.status in FINAL_STATUSES:
        return False
    counted = refund.status in Refund.COUNTED_STATUSES
    refund.status = status
    refund.save(update_fields=["status", "updated_at"])
    if counted and status not in Refund.COUNTED_STATUSES:
        record_order_event(
            order=order,
            kind="refund",
            stripe_event_id=stripe_event_id,
            message=f"{failure_sentence(refund, failure_reason)} The money went back to our Stripe balance, "
            "not to the customer.",
        )
        ask_staff_to_refund_again(
            order=order, refund=refund, failure_reason=failure_reason, stripe_event_id=stripe_event_id
        )
    return True


def ask_staff_to_refund_again(*, order: Order, refund: Refund, failure_reason: str, stripe_event_id: str = "") -> None:
    """Flag the order and mail staff once the transaction commits: the money of a failed refund did not reach
    the customer. Called once per refund (when its status changes), so each is told once."""
    flag_order(
        order=order,
        stripe_event_id=stripe_event_id,
        reason=f"{failure_sentence(refund, failure_reason)} The money did not reach the customer: contact them "
        "and refund them another way (a new refund to the same card fails again).",
    )
    refund_id = refund.pk
    transaction.on_commit(
        lambda: alert_staff_of_failed_refund(refund_id=refund_id, failure_reason=failure_reason), robust=True
    )


def alert_staff_of_failed_refund(*, refund_id: int, failure_reason: str) -> None:
    """Mail each address of STAFF_ALERT_EMAILS now; one the mail server refused goes to a retrying Celery task
    (the order's flag stays either way)."""
    for address in settings.STAFF_ALERT_EMAILS:
        try:
            send_refund_failed_alert(refund_id=refund_id, failure_reason=failure_reason, to=address)
        except Exception as exc:
            logger.error(
                "the failed-refund alert to %s failed (%s); queueing a retry", mask_email(address), loggable(exc)
            )
            try:
                send_refund_failed_alert_task.delay(refund_id, failure_reason, address)
            except Exception as queue_error:  # the broker is down too: the flagged order is what staff see
                logger.error("could not queue the failed-refund alert (%s)", loggable(queue_error))


def send_refund_failed_alert(*, refund_id: int, failure_reason: str, to: str) -> str | None:
    """The "Refund failed" mail to one staff address; its message id (None: suppressed)."""
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    order = refund.order
    context = {
        "order": order,
        "refund": refund,
        "amount": format_money(refund.amount, refund.currency),
        "failure_reason": failure_reason or "none given",
        "refunded_total": format_money(order.amount_refunded, order.currency),
        "admin_url": settings.SITE_URL + reverse("admin:shop_order_change", args=[order.pk]),
    }
    message_id = send_templated_email(
        to=to,
        kind=MailKind.STAFF_ALERT,
        subject=f"Refund failed: order {order.number}",
        template=TEMPLATE,
        context=context,
    )
    if message_id:
        logger.info("failed-refund alert for %s sent to %s", order.number, mask_email(to))
    return message_id


@shared_task(
    name="shop.send_refund_failed_alert",
    **MAIL_TASK_RETRY,
)
def send_refund_failed_alert_task(refund_id: int, failure_reason: str, to: str) -> bool:
    return bool(send_refund_failed_alert(refund_id=refund_id, failure_reason=failure_reason, to=to))
