"""Truth from Stripe: the local subscription brought in line with the subscription Stripe has now.

Every event about a subscription (its own, its invoices', its checkout's) leads here, and so do the success
page, reconciliation and staff actions. The subscription is retrieved from Stripe (`subscriptions.retrieve`,
not the event's copy) while the member's rows are locked, so duplicates and any order of arrival end in the
state Stripe ends in, and a change of access is seen once.
"""

import logging

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from billing.emails import owe_membership_email
from billing.invoices import record_invoice
from billing.lifecycle import change_subscription, lock_member
from billing.models import REFERENCE_METADATA_KEY, BillingCustomer, MembershipEmail, Plan, Subscription, from_timestamp
from payments.client import as_dict, get_stripe_client, id_of
from payments.money import from_minor_units

logger = logging.getLogger(__name__)
Status = Subscription.Status


def reference_of(stripe_object: dict) -> str:
    """Our reference in a Stripe subscription's (or session's) metadata, or ""."""
    metadata = stripe_object.get("metadata")
    value = metadata.get(REFERENCE_METADATA_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def find_subscription(*, stripe_subscription_id: str = "", reference: str = "") -> Subscription | None:
    """Ours by its Stripe id, or by our reference while it is not linked to another Stripe subscription."""
    if stripe_subscription_id:
        found = Subscription.objects.filter(stripe_subscription_id=stripe_subscription_id).first()
        if found is not None:
            return found
    if reference:
        unlinked = Q(stripe_subscription_id__isnull=True)
        if stripe_subscription_id:
            unlinked |= Q(stripe_subscription_id=stripe_subscription_id)
        return Subscription.objects.filter(unlinked, reference=reference).first()
    return None


def retrieve_subscription(stripe_subscription_id: str) -> dict | None:
    """Stripe's current copy, or None when Stripe has no such subscription. Raises `stripe.StripeError`."""
    try:
        return as_dict(get_stripe_client().v1.subscriptions.retrieve(stripe_subscription_id))
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            logger.warning("Stripe has no subscription %s", stripe_subscription_id)
            return None
        raise


def plan_for_price(price: dict) -> Plan | None:
    """The plan a subscription item's price belongs to: by price id, else its product, else its metadata
    (a price archived when the plan's amount changed still names the plan's product)."""
    wanted = {
        "stripe_price_id": id_of(price.get("id")),
        "stripe_product_id": id_of(price.get("product")),
        "slug": (price.get("metadata") or {}).get("plan") if isinstance(price.get("metadata"), dict) else "",
    }
    query = Q(pk__in=[])
    for field, value in wanted.items():
        if isinstance(value, str) and value:
            query |= Q(**{field: value})
    candidates = list(Plan.objects.filter(query))
    for field, value in wanted.items():
        for plan in candidates:
            if value and getattr(plan, field) == value:
                return plan
    return None


def _price_changes(items: list) -> dict:
    item = items[0] if items else {}
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    changes = {}
    plan = plan_for_price(price)
    if plan is not None:
        changes["plan_id"] = plan.pk
    currency, amount = price.get("currency"), price.get("unit_amount")
    if isinstance(currency, str) and isinstance(amount, int) and not isinstance(amount, bool):
        quantity = item.get("quantity") if isinstance(item.get("quantity"), int) else 1
        changes.update(amount=from_minor_units(amount * quantity, currency), currency=currency.upper())
    interval = (price.get("recurring") or {}).get("interval") if isinstance(price.get("recurring"), dict) else None
    if interval in Plan.Interval.values:
        changes["interval"] = interval
    return changes


def stripe_copy_changes(subscription: Subscription, copy: dict) -> dict:
    """The fields Stripe's copy sets. At the pinned API version the billing period lives on the items."""
    items = [item for item in ((copy.get("items") or {}).get("data") or []) if isinstance(item, dict)]
    period_ends = [item["current_period_end"] for item in items if isinstance(item.get("current_period_end"), int)]
    period_end = from_timestamp(max(period_ends)) if period_ends else subscription.current_period_end
    cancel_at = from_timestamp(copy.get("cancel_at"))
    changes = {
        "stripe_subscription_id": copy["id"],
        "current_period_end": period_end,
        # A cancellation set for the period's end, as a flag or as that moment (the portal may set either).
        "cancel_at_period_end": bool(copy.get("cancel_at_period_end"))
        or (cancel_at is not None and period_end is not None and cancel_at <= period_end),
        "canceled_at": from_timestamp(copy.get("canceled_at")),
        "ended_at": from_timestamp(copy.get("ended_at")),
        "trial_end": from_timestamp(copy.get("trial_end")),
        "last_synced_at": timezone.now(),
        **_price_changes(items),
    }
    if copy.get("status") in Status.values:
        changes["status"] = copy["status"]
    else:
        logger.warning("Stripe subscription %s has an unknown status %r", copy["id"], copy.get("status"))
    customer_id = id_of(copy.get("customer"))
    if subscription.customer_id is None and customer_id:
        changes["customer"] = BillingCustomer.objects.filter(stripe_customer_id=customer_id).first()
    return changes


def sync_subscription(
    *, subscription_id: int, actor: str, stripe_subscription_id: str = "", copy: dict | None = None, message: str = ""
) -> Subscription:
    """Bring the subscription in line with Stripe's current copy: retrieved now, under the member's row locks
    (or `copy`, a subscription Stripe has just answered a change with). Raises `stripe.StripeError`."""
    with transaction.atomic():
        subscription, member = lock_member(subscription_id)
        stripe_id = subscription.stripe_subscription_id or stripe_subscription_id
        if not stripe_id:
            return subscription
        copy = copy if copy is not None else retrieve_subscription(stripe_id)
        if copy is not None:
            changes = stripe_copy_changes(subscription, copy)
            change_subscription(subscription=subscription, member=member, changes=changes, actor=actor, message=message)
    return subscription


def apply_checkout_session(*, subscription_id: int, session: dict, actor: str) -> Subscription:
    """A membership's Checkout Session, completed (link its Stripe subscription, then sync it) or expired
    (the subscription that never started is `incomplete_expired`). Raises `stripe.StripeError`."""
    with transaction.atomic():
        subscription, member = lock_member(subscription_id)
        if session.get("status") == "complete":
            stripe_id = id_of(session.get("subscription"))
            if stripe_id and subscription.stripe_subscription_id in (None, stripe_id):
                copy = retrieve_subscription(stripe_id)
                if copy is not None:
                    changes = stripe_copy_changes(subscription, copy)
                    change_subscription(subscription=subscription, member=member, changes=changes, actor=actor)
        elif session.get("status") == "expired" and subscription.status == Status.INCOMPLETE:
            never_started = subscription.stripe_subscription_id is None
            changes = {"status": Status.INCOMPLETE_EXPIRED} if never_started else {}
            change_subscription(
                subscription=subscription,
                member=member,
                changes={**changes, "last_synced_at": timezone.now()},
                actor=actor,
                message="The checkout expired without payment.",
            )
    return subscription


def apply_invoice(
    *, subscription_id: int, invoice_id: str, stripe_subscription_id: str, actor: str, payment_failed: bool = False
) -> None:
    """An invoice event: the invoice as Stripe has it now (with its payments) kept locally, the subscription
    synced (a failed renewal makes it past_due, a paid retry active again), and after a failed payment that is
    still unpaid, one email per invoice with the link that opens the portal (Stripe retries the charge)."""
    client = get_stripe_client()
    with transaction.atomic():
        subscription, member = lock_member(subscription_id)
        invoice = as_dict(client.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]}))
        row = record_invoice(subscription=subscription, invoice=invoice)
        stripe_id = subscription.stripe_subscription_id or stripe_subscription_id
        copy = retrieve_subscription(stripe_id) if stripe_id else None
        if copy is not None:
            changes = stripe_copy_changes(subscription, copy)
            change_subscription(subscription=subscription, member=member, changes=changes, actor=actor)
        if payment_failed and row.status == "open" and subscription.has_access:
            owe_membership_email(
                subscription=subscription,
                kind=MembershipEmail.Kind.PAYMENT_FAILED,
                key=row.stripe_invoice_id,
                details={"amount": str(row.amount_due), "currency": row.currency},
            )


def settle_checkout(*, subscription: Subscription, actor: str, expire_past_expiry: bool = False) -> None:
    """Ask Stripe about a subscription's checkout session and apply what it says (completed: link and sync;
    expired: incomplete_expired). With `expire_past_expiry`, an open session past its expiry is expired first."""
    client = get_stripe_client()
    session = as_dict(client.v1.checkout.sessions.retrieve(subscription.checkout_session_id))
    expires_at = session.get("expires_at")
    past = isinstance(expires_at, int) and expires_at < timezone.now().timestamp()
    if session.get("status") == "open" and expire_past_expiry and past:
        try:
            session = as_dict(client.v1.checkout.sessions.expire(subscription.checkout_session_id))
        except stripe.InvalidRequestError:  # completed between the two calls: look again
            session = as_dict(client.v1.checkout.sessions.retrieve(subscription.checkout_session_id))
    apply_checkout_session(subscription_id=subscription.pk, session=session, actor=actor)
