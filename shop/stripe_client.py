"""The one way this project talks to Stripe (or to the local emulator, through STRIPE_API_BASE).

Also the one place where Decimal money becomes Stripe's integer minor units and back.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import stripe
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

STRIPE_API_VERSION = "2026-10-28.endive"  # pinned: the shapes the shop reads are those of this version
MAX_NETWORK_RETRIES = 2  # Stripe's client retries idempotent-keyed calls on network errors and 409/5xx

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)


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


# Three-decimal currencies: Stripe counts thousandths, and wants the last digit 0 (so two decimals, as we store).
THREE_DECIMAL_CURRENCIES = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def currency_exponent(currency: str) -> int:
    """How many decimals Stripe's minor unit of `currency` has."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if code in THREE_DECIMAL_CURRENCIES else 2


def is_payable_amount(amount: Decimal, currency: str) -> bool:
    """Whether Stripe can charge exactly `amount` in `currency` (no yen cents, at most two decimals)."""
    places = min(currency_exponent(currency), 2)
    return amount == amount.quantize(Decimal(1).scaleb(-places))


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal money to Stripe's integer minor units; refuses (ValueError) what cannot be charged exactly,
    rather than rounding a customer's price or a refund."""
    if not is_payable_amount(amount, currency):
        raise ValueError(f"{amount} {currency.upper()} cannot be expressed in {currency.upper()}'s minor units")
    return int((amount * (10 ** currency_exponent(currency))).to_integral_value(rounding=ROUND_HALF_UP))


def from_minor_units(amount: int, currency: str) -> Decimal:
    return (Decimal(int(amount)).scaleb(-currency_exponent(currency))).quantize(Decimal("0.01"))


def construct_event(payload: bytes, sig_header: str) -> stripe.Event:
    """Verify the Stripe-Signature header (default tolerance 300 s) and parse the event.

    Raises `stripe.SignatureVerificationError` or `ValueError` for a body that is not a signed event.
    """
    try:
        return stripe.Webhook.construct_event(payload, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except (AttributeError, TypeError) as exc:  # signed, but JSON that is not an object (`[1, 2]`)
        raise ValueError("not a Stripe event") from exc
    except RecursionError as exc:  # signed, but nested deeper than the JSON parser can go
        raise ValueError("not a Stripe event") from exc
