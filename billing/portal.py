"""Self-service in Stripe's customer portal: change the card, switch plan, cancel, see invoices."""

import logging

import stripe
from django.conf import settings

from billing.errors import MembershipError
from billing.models import Subscription
from billing.plans import portal_configuration_id
from core.redaction import loggable
from payments.client import get_stripe_client

logger = logging.getLogger(__name__)


def open_portal(*, subscription: Subscription, return_url: str | None = None) -> str:
    """A customer-portal session for the subscription's Stripe customer (configured with our plans); its URL.
    Raises MembershipError (no_customer 409, payment_unavailable 503)."""
    if subscription.customer is None:
        raise MembershipError("no_customer", "This membership has no account with our payment provider yet.", 409)
    try:
        session = get_stripe_client().v1.billing_portal.sessions.create(
            params={
                "customer": subscription.customer.stripe_customer_id,
                "configuration": portal_configuration_id(),
                "return_url": return_url or f"{settings.SITE_URL}/membership/",
            }
        )
    except stripe.StripeError as exc:
        logger.error("opening the portal for %s failed: %s", subscription.reference, loggable(exc))
        raise MembershipError(
            "payment_unavailable", "The membership portal is unavailable right now. Try again shortly.", 503
        ) from None
    return session.url
