"""The one way this project talks to Stripe (or to the local emulator, through STRIPE_API_BASE)."""

from functools import cache

import stripe
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

STRIPE_API_VERSION = "2026-10-28.endive"  # pinned: the shapes the shop reads are those of this version
MAX_NETWORK_RETRIES = 2  # Stripe's client retries idempotent-keyed calls on network errors and 409/5xx


@cache
def get_stripe_client() -> stripe.StripeClient:
    kwargs = {}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=STRIPE_API_VERSION,
        max_network_retries=MAX_NETWORK_RETRIES,
        **kwargs,
    )


@receiver(setting_changed)
def _forget_client(*, setting: str, **kwargs) -> None:
    if setting.startswith("STRIPE_"):
        get_stripe_client.cache_clear()


def verify_signature(payload: bytes, sig_header: str) -> None:
    """Verify the Stripe-Signature header (default tolerance 300 s) of a webhook body; the body is not parsed
    here (the caller parses it once: building stripe's objects of it cost a webhook a tenth of its time).

    Raises `stripe.SignatureVerificationError` (forged, wrong secret, stale, malformed header) or
    `UnicodeDecodeError` for a body that is not UTF-8.
    """
    stripe.WebhookSignature.verify_header(
        payload, sig_header, settings.STRIPE_WEBHOOK_SECRET, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
    )


def as_dict(obj) -> dict:
    """A Stripe object (or an event's plain dict) as a plain dict, without NUL characters (`without_nul`)."""
    if obj is None:
        return {}
    if isinstance(obj, stripe.StripeObject):
        return without_nul(obj.to_dict())
    return without_nul(dict(obj))


def without_nul(value):
    """`value` with every NUL character taken out of its strings and keys (dicts and lists copied).
    PostgreSQL stores no NUL, in text or in jsonb, and a payer can type one into an address on Stripe's page.
    Recursive: for Stripe's answers and verified events, which nest a few levels (payments.events.MAX_DEPTH)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def id_of(value) -> str:
    """The id of an expandable field (a string, or an expanded object), or "": never a number or a list."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""
