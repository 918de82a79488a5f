"""The Stripe events the shop applies, registered with `payments` when the app is ready.

Each handler runs inside the event's transaction with the event row locked (payments.events).
"""

import logging

from payments.client import id_of
from payments.models import StripeEvent
from payments.registry import register
from shop.fulfilment import apply_checkout_session, apply_failed_payment, find_order_for_session
from shop.models import Order
from shop.refunds import apply_charge_refunded, apply_refund_update

logger = logging.getLogger(__name__)


@register(
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)
def apply_checkout_session_event(stored: StripeEvent) -> str:
    session = stored.data_object
    if session.get("mode") == "subscription":  # a membership's checkout: billing's handler applies it
        return StripeEvent.State.IGNORED
    order = find_order_for_session(session, stripe_event_id=stored.id)
    if order is None:
        logger.info("Stripe event %s names no checkout session of an order; ignored", stored.id)
        return StripeEvent.State.IGNORED
    if stored.type == "checkout.session.async_payment_failed":
        apply_failed_payment(order=order, session=session, stripe_event_id=stored.id)
    else:
        apply_checkout_session(order=order, session=session, stripe_event_id=stored.id, source="webhook")
    return StripeEvent.State.PROCESSED


@register("charge.refunded")
def apply_charge_refunded_event(stored: StripeEvent) -> str:
    charge = stored.data_object
    payment_intent_id = id_of(charge.get("payment_intent"))
    order = (
        Order.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
        if payment_intent_id
        else None
    )
    if order is None:
        # Delivered before the checkout.session.completed that tells us the payment intent: keep it and apply
        # it when that arrives (payments.events.apply_deferred_events), so the end state is the same as an
        # in-order delivery.
        stored.payment_intent_id = payment_intent_id
        stored.save(update_fields=["payment_intent_id"])
        return StripeEvent.State.DEFERRED
    apply_charge_refunded(order=order, charge=charge, stripe_event_id=stored.id)
    return StripeEvent.State.PROCESSED


@register("charge.refund.updated", "refund.updated", "refund.failed")
def apply_refund_event(stored: StripeEvent) -> str:
    """A refund changed at Stripe, most often one that failed after it was accepted (shop.refund_failures).
    Stripe sends all three for one change; each is applied once, and the second changes nothing."""
    refund = stored.data_object
    payment_intent_id = id_of(refund.get("payment_intent"))
    order = (
        Order.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
        if payment_intent_id and refund.get("object") == "refund" and refund.get("id")
        else None
    )
    if order is None:  # a membership invoice's refund, or no order of ours
        logger.info("Stripe event %s names a refund of no order; ignored", stored.id)
        return StripeEvent.State.IGNORED
    apply_refund_update(order=order, refund=refund, stripe_event_id=stored.id)
    return StripeEvent.State.PROCESSED
