"""Joining: a plan and an email become a local subscription (`incomplete`, with an unguessable token) and a
Stripe Checkout Session in `subscription` mode. From then on Stripe Billing owns the card, the renewals and the
retries, and every event about it is brought in line by billing.sync."""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.customers import customer_for_email
from billing.errors import MembershipError
from billing.history import SYSTEM, record_subscription_event
from billing.lifecycle import change_subscription, lock_member
from billing.limits import take_join_slot
from billing.models import REFERENCE_METADATA_KEY, Plan, Subscription
from billing.plans import sync_plan
from core.email_addresses import validate_email_address
from core.redaction import loggable, mask_email
from core.suppression import normalize_email
from payments.client import get_stripe_client

logger = logging.getLogger(__name__)
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


@dataclass(frozen=True)
class JoinResult:
    subscription: Subscription
    checkout_url: str
    session_id: str


def _unavailable() -> MembershipError:
    return MembershipError(
        "payment_unavailable", "Payment is unavailable right now; nothing was charged. Try again shortly.", 503
    )


def _valid_email(email: str) -> str:
    email = normalize_email(email)
    try:
        validate_email_address(email)
    except ValidationError:
        raise MembershipError("invalid_email", "Enter a valid email address, like name@example.com.") from None
    return email


def _create_subscription(*, plan: Plan, email: str, customer) -> Subscription:
    for _ in range(5):
        reference = "HM-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    reference=reference,
                    email=email,
                    plan=plan,
                    customer=customer,
                    amount=plan.price,
                    currency=plan.currency.upper(),
                    interval=plan.interval,
                )
                record_subscription_event(
                    subscription=subscription,
                    kind="created",
                    actor=SYSTEM,
                    to_status=subscription.status,
                    message=f"Checkout opened for {plan.name}.",
                )
                return subscription
        except IntegrityError:
            continue
    raise IntegrityError("could not find a free subscription reference")


def create_checkout_session(*, subscription: Subscription, trial_days: int = 0):
    """Stripe Checkout in subscription mode for the plan's price, the member's own Stripe customer, our
    reference as client_reference_id and in the subscription's metadata, an idempotency key from the row."""
    subscription_data: dict = {"metadata": {REFERENCE_METADATA_KEY: subscription.reference}}
    if trial_days:
        subscription_data["trial_period_days"] = trial_days
    params = {
        "mode": "subscription",
        "line_items": [{"price": subscription.plan.stripe_price_id, "quantity": 1}],
        "customer": subscription.customer.stripe_customer_id,
        "client_reference_id": subscription.reference,
        "success_url": f"{settings.SITE_URL}/membership/success/?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{settings.SITE_URL}/membership/",
        "allow_promotion_codes": True,
        "subscription_data": subscription_data,
        "metadata": {REFERENCE_METADATA_KEY: subscription.reference},
    }
    return get_stripe_client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": subscription.idempotency_key("checkout-session")}
    )


def _give_up(subscription: Subscription) -> None:
    with transaction.atomic():
        locked, member = lock_member(subscription.pk)
        change_subscription(
            subscription=locked,
            member=member,
            changes={"status": Subscription.Status.INCOMPLETE_EXPIRED},
            actor=SYSTEM,
            message="Stripe could not open a checkout session.",
        )


def start_membership(*, plan: Plan, email: str, client: str = "") -> JoinResult:
    """Open a membership of `plan` for `email`; send the person to `checkout_url`.

    `client` is the `billing.limits.client_hash` of the request: joins are limited per client and per email.
    The trial (the plan's `trial_days`) is for people who never had access before. Raises MembershipError
    (invalid_email, plan_unavailable, too_many_joins, already_member, payment_unavailable)."""
    email = _valid_email(email)
    if not plan.is_active:
        raise MembershipError("plan_unavailable", f"{plan.name} is no longer on offer.", 409)
    take_join_slot(client=client, email=email)
    if Subscription.objects.with_access().filter(email=email).exists():
        raise MembershipError(
            "already_member",
            "This email already has a membership. To change plan or card, use the link in your membership emails.",
            409,
        )
    try:
        if plan.needs_new_price or not plan.stripe_product_id:
            plan = sync_plan(plan_id=plan.pk)
        customer = customer_for_email(email=email)
    except stripe.StripeError as exc:
        logger.error("preparing a membership of %s failed: %s", plan.slug, loggable(exc))
        raise _unavailable() from None
    returning = Subscription.objects.filter(email=email, access_started_at__isnull=False).exists()
    subscription = _create_subscription(plan=plan, email=email, customer=customer)
    try:
        session = create_checkout_session(subscription=subscription, trial_days=0 if returning else plan.trial_days)
    except stripe.StripeError as exc:
        logger.error("opening a checkout for %s failed: %s", subscription.reference, loggable(exc))
        _give_up(subscription)
        raise _unavailable() from None
    subscription.checkout_session_id = session.id
    subscription.checkout_url = session.url or ""
    subscription.checkout_expires_at = (
        datetime.fromtimestamp(session.expires_at, tz=UTC) if session.expires_at else None
    )
    subscription.save(update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at", "updated_at"])
    logger.info("membership %s opened checkout for %s", subscription.reference, mask_email(email))
    return JoinResult(subscription=subscription, checkout_url=subscription.checkout_url, session_id=session.id)
