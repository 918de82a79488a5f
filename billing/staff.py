"""Staff actions on memberships, through Stripe: cancel (now, or at the period's end), refund the last invoice.

Each needs its own permission (`billing.cancel_subscription`, `billing.refund_invoice`; the admin checks
them), is recorded in the subscription's history with the staff user, and leaves the subscription as
Stripe answered it.
"""

import logging
from decimal import Decimal

import stripe
from django.db import transaction

from billing.errors import MembershipError
from billing.history import record_subscription_event, staff_actor
from billing.invoices import money, paid_payment_intent
from billing.lifecycle import lock_member
from billing.models import Invoice, Subscription
from billing.sync import sync_subscription
from core.redaction import loggable
from payments.client import as_dict, get_stripe_client
from payments.money import to_minor_units

logger = logging.getLogger(__name__)


def _stripe_failed(action: str, subscription: Subscription, exc: Exception) -> MembershipError:
    logger.error("%s of %s failed: %s", action, subscription.reference, loggable(exc))
    return MembershipError("payment_unavailable", f"Stripe refused or could not be reached: {loggable(exc)}", 503)


def cancel_subscription(*, subscription: Subscription, at_period_end: bool, user) -> Subscription:
    """Cancel now (access stops now) or at the end of the period paid for (access until then)."""
    if not subscription.stripe_subscription_id or subscription.status in Subscription.ENDED_STATUSES:
        raise MembershipError("not_cancelable", f"{subscription.reference} has no running Stripe subscription.", 409)
    client = get_stripe_client()
    try:
        if at_period_end:
            copy = client.v1.subscriptions.update(
                subscription.stripe_subscription_id, params={"cancel_at_period_end": True}
            )
        else:
            copy = client.v1.subscriptions.cancel(subscription.stripe_subscription_id)
    except stripe.StripeError as exc:
        raise _stripe_failed("cancelling", subscription, exc) from None
    message = "Staff canceled it at the period's end." if at_period_end else "Staff canceled it now."
    return sync_subscription(
        subscription_id=subscription.pk, actor=staff_actor(user), copy=as_dict(copy), message=message
    )


def _last_paid_invoice(subscription: Subscription) -> Invoice:
    invoice = subscription.invoices.filter(status="paid", amount_paid__gt=0).order_by("-paid_at", "-created_at").first()
    if invoice is None:
        raise MembershipError("nothing_to_refund", f"{subscription.reference} has no paid invoice.", 409)
    if invoice.amount_refunded >= invoice.amount_paid:
        raise MembershipError("already_refunded", f"Invoice {invoice} is refunded already.", 409)
    return invoice


def refund_last_invoice(*, subscription: Subscription, user) -> Decimal:
    """Refund what is not yet refunded of the subscription's last paid invoice; the amount refunded.

    At the pinned API version an invoice's payment is found through its InvoicePayments
    (`GET /v1/invoice_payments?invoice=…` → `payment.payment_intent`), not `invoice.payment_intent`."""
    invoice = _last_paid_invoice(subscription)
    amount = invoice.amount_paid - invoice.amount_refunded
    client = get_stripe_client()
    try:
        payments = client.v1.invoice_payments.list(params={"invoice": invoice.stripe_invoice_id, "limit": 10})
        payment_intent = paid_payment_intent([as_dict(payment) for payment in payments.data])
        if not payment_intent:
            raise MembershipError("nothing_to_refund", f"Stripe shows no paid payment for invoice {invoice}.", 409)
        refund = client.v1.refunds.create(
            params={
                "payment_intent": payment_intent,
                "amount": to_minor_units(amount, invoice.currency),
                "metadata": {"invoice": invoice.stripe_invoice_id, "subscription": subscription.reference},
            },
            # From the invoice and what it has refunded: a retry refunds nothing twice.
            options={"idempotency_key": subscription.idempotency_key(f"refund:{invoice.stripe_invoice_id}:{amount}")},
        )
    except stripe.StripeError as exc:
        raise _stripe_failed("refunding", subscription, exc) from None
    refunded = money(refund.amount, invoice.currency)
    with transaction.atomic():
        lock_member(subscription.pk)  # the member's rows first, as every other change takes them: no deadlock
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        locked.payment_intent_id = payment_intent
        locked.amount_refunded = max(locked.amount_refunded, invoice.amount_refunded + refunded)
        locked.save(update_fields=["payment_intent_id", "amount_refunded", "updated_at"])
        record_subscription_event(
            subscription=subscription,
            kind="refund",
            actor=staff_actor(user),
            message=f"Refunded {refunded} {invoice.currency} of invoice {invoice}.",
        )
    return refunded
