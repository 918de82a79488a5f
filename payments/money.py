"""The one place where Decimal money becomes Stripe's integer minor units and back."""

from decimal import ROUND_HALF_UP, Decimal

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]
)


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
