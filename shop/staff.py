"""What staff do to an order from the admin: ship it, cancel it, write a note. (Refunds: shop.refunds.)"""

import stripe
from django.db import transaction

from payments.client import as_dict, get_stripe_client
from shop.fulfilment import fulfil_checkout_session
from shop.history import record_order_event
from shop.models import Order
from shop.orders import IllegalTransition, OrderError, transition_order

Status = Order.Status


@transaction.atomic
def mark_shipped(*, order: Order, carrier: str, tracking_number: str, user=None) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.PAID:  # the status machine also lets a failed refund give `shipped` back
        raise IllegalTransition(
            "illegal_transition",
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot become shipped.",
            409,
        )
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    order.save(update_fields=["carrier", "tracking_number", "updated_at"])
    transition_order(
        order=order,
        to_status=Status.SHIPPED,
        user=user,
        message=f"Shipped with {order.carrier}, tracking {order.tracking_number}.",
    )
    return order


def _expire_session(session_id: str) -> bool:
    try:
        get_stripe_client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError:
        return False
    return True


def _settle_unexpirable_session(order: Order) -> None:
    """The session could not be expired: usually it completed meanwhile. Fulfilment tells the truth."""
    try:
        session = as_dict(get_stripe_client().v1.checkout.sessions.retrieve(order.checkout_session_id))
    except stripe.StripeError:
        raise OrderError(
            "payment_unavailable", "Stripe cannot be reached; the order was not cancelled. Try again.", 503
        ) from None
    fulfil_checkout_session(session_id=order.checkout_session_id, session=session, source="staff_cancel")
    if session.get("status") == "complete":
        raise IllegalTransition(
            "not_cancellable",
            f"Order {order.number} has been paid, or a delayed payment is on its way; it was not cancelled.",
            409,
        )


def cancel_order(*, order: Order, user=None, reason: str = "Cancelled by staff.") -> Order:
    """Cancel an unpaid order: expire its Checkout Session first so nobody can pay it afterwards."""
    if order.status != Status.PENDING_PAYMENT:
        raise IllegalTransition(
            "not_cancellable",
            f"Order {order.number} is {order.get_status_display().lower()}; only unpaid orders can be cancelled.",
            409,
        )
    if order.checkout_session_id and not _expire_session(order.checkout_session_id):
        _settle_unexpirable_session(order)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == Status.PENDING_PAYMENT:
            transition_order(order=order, to_status=Status.CANCELLED, user=user, message=reason)
        elif order.status != Status.CANCELLED:
            raise IllegalTransition(
                "not_cancellable", f"Order {order.number} was paid meanwhile; it was not cancelled.", 409
            )
    return order


@transaction.atomic
def add_staff_note(*, order: Order, note: str, user) -> None:
    record_order_event(order=order, kind="note", message=note, user=user)
