"""Reconciliation: what a lost webhook would leave wrong, put right by asking Stripe.

Run by the beat task and by `manage.py reconcile_stripe`.
"""

import logging
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.redaction import loggable
from payments.client import as_dict, get_stripe_client
from payments.events import deferred_events, failed_events, retry_events, unapplied_events
from shop.checkout import CHECKOUT_SESSION_LIFETIME
from shop.emails import send_unsent_order_emails
from shop.fulfilment import fulfil_checkout_session
from shop.limits import reservation_hold
from shop.models import Order
from shop.orders import transition_order
from shop.promotions import sync_unsynced_promotion_codes
from shop.recovery import send_due_recovery_emails

logger = logging.getLogger(__name__)
Status = Order.Status
RECONCILE_GRACE = timedelta(minutes=5)  # let Stripe's own expiry event arrive first
ORDER_BATCH = 500
UNAPPLIED_EVENT_MIN_AGE = timedelta(minutes=2)  # a queued event older than this lost its task


def _settle_with_stripe(order: Order) -> None:
    if not order.checkout_session_id:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            if locked.status == Status.PENDING_PAYMENT:
                transition_order(
                    order=locked, to_status=Status.CANCELLED, message="No checkout session was ever opened."
                )
        return
    client = get_stripe_client()
    session = as_dict(client.v1.checkout.sessions.retrieve(order.checkout_session_id))
    if session.get("status") == "open":
        try:
            session = as_dict(client.v1.checkout.sessions.expire(order.checkout_session_id))
        except stripe.InvalidRequestError:
            # No longer open: the customer finished paying between our two calls. Look again.
            session = as_dict(client.v1.checkout.sessions.retrieve(order.checkout_session_id))
    fulfil_checkout_session(session_id=order.checkout_session_id, session=session, source="reconciliation")


def reconcile_pending_orders(*, now: datetime | None = None) -> dict[str, int]:
    """Ask Stripe about `pending_payment` orders past their session's expiry, so a webhook lost for
    good neither strands stock nor loses a paid order. Also retries failed Stripe events, sends the
    order emails that neither the mail server nor the broker took, makes on Stripe the promotion codes it
    could not take when staff saved them, and sends the checkout recovery emails now due (shop.recovery)."""
    now = now or timezone.now()
    counts = {"checked": 0, "paid": 0, "cancelled": 0, "events_retried": 0, "emails_sent": 0, "errors": 0}
    counts["codes_synced"], failed = sync_unsynced_promotion_codes(now=now)
    counts["errors"] += failed
    # Past the session's expiry, or past the shop's shorter hold (SHOP_RESERVATION_MINUTES): a Stripe session
    # lives at least 30 minutes, so the shop expires an abandoned one itself and its units go back sooner.
    held_too_long = Q(created_at__lt=now - reservation_hold()) & ~Q(checkout_session_id="")
    stale = Order.objects.filter(status=Status.PENDING_PAYMENT).filter(
        Q(checkout_expires_at__lt=now - RECONCILE_GRACE) | held_too_long
    )
    no_session = Order.objects.filter(
        status=Status.PENDING_PAYMENT, checkout_session_id="", created_at__lt=now - CHECKOUT_SESSION_LIFETIME
    )
    for order in (stale | no_session).order_by("pk")[:ORDER_BATCH]:
        counts["checked"] += 1
        try:
            _settle_with_stripe(order)
        except stripe.StripeError as exc:
            counts["errors"] += 1
            logger.error("reconciling order %s failed: %s", order.number, loggable(exc))
            continue
        order.refresh_from_db(fields=["status"])
        if order.status == Status.PAID:
            counts["paid"] += 1
        elif order.status == Status.CANCELLED:
            counts["cancelled"] += 1
    # Failed events; and refunds deferred while their order's payment was being recorded concurrently (each
    # looked for the other before it committed), now that the order knows its payment intent.
    known_intents = Order.objects.exclude(payment_intent_id="").values("payment_intent_id")
    lost = unapplied_events(received_before=now - UNAPPLIED_EVENT_MIN_AGE)  # stored for a worker that never ran it
    for events in (failed_events(), lost, deferred_events(payment_intent_ids=known_intents)):
        retried, failed = retry_events(events)
        counts["events_retried"] += retried
        counts["errors"] += failed
    counts["emails_sent"], failed = send_unsent_order_emails(now=now)
    counts["errors"] += failed
    recoveries = send_due_recovery_emails(now=now)
    counts["recoveries_sent"] = recoveries["sent"]
    counts["errors"] += recoveries["failed"]
    return counts
