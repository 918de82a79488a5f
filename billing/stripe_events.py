"""The Stripe events billing applies, registered with `payments` when the app is ready (BillingConfig.ready).

Each handler runs inside the event's transaction with the event row locked (payments.events), decides whether
the object is a membership's (IGNORED when not: the shop handles `mode=payment` sessions and its orders'
refunds), and brings the subscription in line with Stripe's current copy (billing.sync).
"""

import logging

from django.db import transaction

from billing.emails import owe_membership_email
from billing.history import stripe_actor
from billing.invoices import apply_charge_refunded, money, subscription_id_of
from billing.invoices import reference_of as invoice_reference_of
from billing.lifecycle import lock_member
from billing.models import Invoice, MembershipEmail, Plan, Subscription
from billing.sync import apply_checkout_session, apply_invoice, find_subscription, reference_of, sync_subscription
from payments.client import id_of
from payments.models import StripeEvent
from payments.registry import register

logger = logging.getLogger(__name__)
PROCESSED, IGNORED = StripeEvent.State.PROCESSED, StripeEvent.State.IGNORED

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed")
CHECKOUT_EVENTS = ("checkout.session.completed", "checkout.session.expired")
# What the Stripe webhook endpoint must send for memberships (the README lists them).
BILLING_EVENT_TYPES = (*SUBSCRIPTION_EVENTS, *INVOICE_EVENTS, "invoice.upcoming", *CHECKOUT_EVENTS, "charge.refunded")


@register(*SUBSCRIPTION_EVENTS)
def apply_subscription_event(stored: StripeEvent) -> str:
    obj = stored.data_object
    stripe_id = id_of(obj.get("id"))
    subscription = find_subscription(stripe_subscription_id=stripe_id, reference=reference_of(obj))
    if subscription is None:
        logger.info("Stripe event %s names no membership of ours; ignored", stored.id)
        return IGNORED
    sync_subscription(subscription_id=subscription.pk, stripe_subscription_id=stripe_id, actor=stripe_actor(stored.id))
    return PROCESSED


@register(*INVOICE_EVENTS)
def apply_invoice_event(stored: StripeEvent) -> str:
    invoice = stored.data_object
    stripe_id = subscription_id_of(invoice)
    subscription = find_subscription(stripe_subscription_id=stripe_id, reference=invoice_reference_of(invoice))
    if subscription is None or not id_of(invoice.get("id")):
        return IGNORED
    apply_invoice(
        subscription_id=subscription.pk,
        invoice_id=invoice["id"],
        stripe_subscription_id=stripe_id,
        actor=stripe_actor(stored.id),
        payment_failed=stored.type == "invoice.payment_failed",
    )
    return PROCESSED


@register("invoice.upcoming")
def remind_of_yearly_renewal(stored: StripeEvent) -> str:
    """A yearly membership renews in a few days: one reminder per renewal (a preview invoice has no id)."""
    preview = stored.data_object
    subscription = find_subscription(
        stripe_subscription_id=subscription_id_of(preview), reference=invoice_reference_of(preview)
    )
    if subscription is None or subscription.interval != Plan.Interval.YEAR:
        return IGNORED
    with transaction.atomic():
        subscription, _ = lock_member(subscription.pk)
        if subscription.has_access and not subscription.cancel_at_period_end:
            renews = subscription.current_period_end
            currency = str(preview.get("currency") or subscription.currency)
            amount_due = preview.get("amount_due")
            amount = money(amount_due, currency) if isinstance(amount_due, int) else subscription.amount
            owe_membership_email(
                subscription=subscription,
                kind=MembershipEmail.Kind.RENEWAL_REMINDER,
                key=f"renews:{int(renews.timestamp()) if renews else preview.get('next_payment_attempt')}",
                details={
                    "amount": str(amount),
                    "currency": currency.upper(),
                    "renews_at": renews.isoformat() if renews else "",
                },
            )
    return PROCESSED


@register(*CHECKOUT_EVENTS)
def apply_membership_checkout_event(stored: StripeEvent) -> str:
    session = stored.data_object
    if session.get("mode") != "subscription":
        return IGNORED  # the shop's
    session_id = id_of(session.get("id"))
    subscription = Subscription.objects.filter(checkout_session_id=session_id).first() if session_id else None
    reference = session.get("client_reference_id")
    if subscription is None and isinstance(reference, str) and reference:
        subscription = Subscription.objects.filter(reference=reference, checkout_session_id="").first()
    if subscription is None:
        logger.info("Stripe event %s names no membership checkout of ours; ignored", stored.id)
        return IGNORED
    apply_checkout_session(subscription_id=subscription.pk, session=session, actor=stripe_actor(stored.id))
    return PROCESSED


@register("charge.refunded")
def apply_invoice_refund(stored: StripeEvent) -> str:
    """A refund of a membership invoice's payment (the shop's handler sees the same event for its orders)."""
    charge = stored.data_object
    payment_intent = id_of(charge.get("payment_intent"))
    found = Invoice.objects.filter(payment_intent_id=payment_intent).first() if payment_intent else None
    if found is None:
        return IGNORED
    with transaction.atomic():
        lock_member(found.subscription_id)  # the member's rows first, as every other change takes them
        invoice = Invoice.objects.select_for_update().select_related("subscription").get(pk=found.pk)
        apply_charge_refunded(invoice=invoice, charge=charge, actor=stripe_actor(stored.id))
    return PROCESSED
