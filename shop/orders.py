"""The order's status machine: the one place that changes an order's status.

`transition_order` checks each move against ALLOWED_TRANSITIONS, records it as an order event with
its actor, and runs its consequences (stock released, emails and announcements after commit).
"""

import logging
from collections.abc import Sequence

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from core.errors import Refusal
from core.redaction import loggable
from shop.emails import deliver_order_email, record_order_email
from shop.history import record_order_event
from shop.models import Order, OrderEvent
from shop.signals import order_paid, order_refunded
from shop.stock import release_stock, settle_held_units

logger = logging.getLogger(__name__)
Status = Order.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_PAYMENT: {Status.PAID, Status.CANCELLED},
    Status.PAID: {Status.SHIPPED, Status.PARTIALLY_REFUNDED, Status.REFUNDED},
    Status.SHIPPED: {Status.PARTIALLY_REFUNDED, Status.REFUNDED},
    # And back, only when a refund Stripe had accepted fails (shop.refund_failures): to the status the refunds
    # that still count add up to, shipped rather than paid if it went out (staff.mark_shipped ships paid only).
    Status.PARTIALLY_REFUNDED: {Status.REFUNDED, Status.PAID, Status.SHIPPED},
    Status.REFUNDED: {Status.PARTIALLY_REFUNDED, Status.PAID, Status.SHIPPED},
    # Only when a payment arrives after the cancellation and the units could be reserved again (fulfilment).
    Status.CANCELLED: {Status.PAID},
}
REFUNDABLE_STATUSES = (Status.PAID, Status.SHIPPED, Status.PARTIALLY_REFUNDED)


class OrderError(Refusal):
    """An order change refused (a refund too large, a cancel after payment, …)."""


class CheckoutError(OrderError):
    """A checkout refused (empty cart, out of stock, Stripe unreachable, …)."""


class IllegalTransition(OrderError):
    """A status move the status machine does not allow."""


def transition_order(
    *,
    order: Order,
    to_status: str,
    user=None,
    stripe_event_id: str = "",
    message: str = "",
    also_save: Sequence[str] = (),
) -> OrderEvent:
    """Move `order` to `to_status` if the status machine allows it, record who did it, and run the
    transition's consequences. Call inside a transaction with the order row locked (`select_for_update`).
    `also_save`: fields the caller set on the order, written in the transition's own UPDATE (one round trip)."""
    from_status = order.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise IllegalTransition(
            "illegal_transition",
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot become "
            f"{Status(to_status).label.lower()}.",
            409,
        )
    if from_status == Status.CANCELLED and order.stock_released_at is not None:
        raise IllegalTransition(
            "illegal_transition", f"Order {order.number} gave its units back to stock; reserve them first.", 409
        )
    order.status = to_status
    fields = list(dict.fromkeys(["status", "updated_at", *also_save]))
    # A failed refund gives back the status it took: the order was paid (and shipped) already and the customer
    # told so; nothing is stamped, emailed or announced again.
    restored = from_status in (Status.PARTIALLY_REFUNDED, Status.REFUNDED) and to_status != Status.REFUNDED
    if to_status == Status.PAID and not restored:
        order.paid_at = timezone.now()
        fields.append("paid_at")
        if from_status == Status.PENDING_PAYMENT:
            # Its units are sold, no longer held (a cancelled order gave them back already). After the commit, in a
            # statement of its own: the product row is every checkout's and every payment's lock, and holding it to
            # the end of the webhook's transaction made payments of one product wait on each other.
            order_id = order.pk
            transaction.on_commit(lambda: settle_held_units(order_id=order_id), robust=True)
    elif to_status == Status.SHIPPED and not restored:
        order.shipped_at = timezone.now()
        fields.append("shipped_at")
    elif to_status == Status.CANCELLED:
        release_stock(order=order)
    order.save(update_fields=fields)
    event = record_order_event(
        order=order,
        kind="transition",
        message=message,
        user=user,
        stripe_event_id=stripe_event_id,
        from_status=from_status,
        to_status=to_status,
    )
    if not restored:
        _after_commit(order, to_status)
    return event


def _after_commit(order: Order, to_status: str) -> None:
    # The email is recorded in the transition's own transaction: owed even if this process dies after commit.
    order_id = order.pk
    if to_status == Status.PAID:
        email_id = record_order_email(order_id=order_id, kind="confirmation")
        transaction.on_commit(lambda: _announce_paid(order, email_id))
    elif to_status == Status.SHIPPED:
        email_id = record_order_email(order_id=order_id, kind="shipped")
        transaction.on_commit(lambda: deliver_order_email(order_id=order_id, kind="shipped", email_id=email_id))
    elif to_status == Status.REFUNDED:
        transaction.on_commit(lambda: _announce_refunded(order_id))


def flag_order(*, order: Order, reason: str, stripe_event_id: str = "", user=None) -> None:
    """Ask a person to look at the order; the same reason is recorded once."""
    if reason in order.attention_reason:
        return
    order.needs_attention = True
    order.attention_reason = f"{order.attention_reason}\n{reason}".strip()
    order.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    record_order_event(order=order, kind="flagged", message=reason, stripe_event_id=stripe_event_id, user=user)
    logger.warning("order %s flagged: %s", order.number, reason)


def _announce_paid(order: Order, email_id: int) -> None:
    """The confirmation email, then the announcement, with the order as this transaction committed it (it was
    locked until then): its lines are read once, for both."""
    prefetch_related_objects([order], "lines")
    deliver_order_email(order_id=order.pk, kind="confirmation", email_id=email_id, order=order)
    for receiver, result in order_paid.send_robust(sender=Order, order=order):
        if isinstance(result, Exception):
            logger.error("order_paid receiver %r failed for %s: %s", receiver, order.number, loggable(result))


def _announce_refunded(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    for receiver, result in order_refunded.send_robust(sender=Order, order=order):
        if isinstance(result, Exception):
            logger.error("order_refunded receiver %r failed for %s: %s", receiver, order.number, loggable(result))
