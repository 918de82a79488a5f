"""Limits that keep one client from opening memberships (and spending our Stripe calls) without end, counted
as the shop counts its checkouts (`core.ratelimits`). Each is a setting (hodhod/settings.py, .env.example)."""

from django.conf import settings

from billing.errors import MembershipError
from core.ratelimits import client_address, in_minutes, keyed_hash, take_hit


def client_hash(request) -> str:
    """A keyed hash of the request's client address ("" without a request)."""
    return keyed_hash("billing.client", client_address(request)) if request is not None else ""


def take_join_slot(*, client: str, email: str) -> None:
    """Count one join of this client (a `client_hash`; "" when there is none) and this email; MembershipError
    `too_many_joins` (429) past BILLING_JOINS_PER_CLIENT_PER_HOUR or BILLING_JOINS_PER_EMAIL_PER_HOUR."""
    if client:
        wait = take_hit(
            "billing_join_client", client, allowed=settings.BILLING_JOINS_PER_CLIENT_PER_HOUR, per_seconds=3600
        )
        if wait:
            message = (
                f"Too many memberships started from your connection in the last hour; try again in {in_minutes(wait)}."
            )
            raise MembershipError("too_many_joins", message, 429, wait=wait)
    email_key = keyed_hash("billing.email", email)
    wait = take_hit(
        "billing_join_email", email_key, allowed=settings.BILLING_JOINS_PER_EMAIL_PER_HOUR, per_seconds=3600
    )
    if wait:
        message = (
            f"Too many memberships started for this email address in the last hour; try again in {in_minutes(wait)}."
        )
        raise MembershipError("too_many_joins", message, 429, wait=wait)


def may_ask_stripe(request) -> bool:
    """Whether this client may make one more Stripe call from a page (the success page's look-up, a portal
    session): at most BILLING_STRIPE_CALLS_PER_CLIENT_PER_MINUTE a minute."""
    allowed = settings.BILLING_STRIPE_CALLS_PER_CLIENT_PER_MINUTE
    return not take_hit("billing_stripe_call", client_hash(request), allowed=allowed, per_seconds=60)
