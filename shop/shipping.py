"""Shipping at checkout: where the shop ships, what each country is offered, and the Checkout Session's
`shipping_options` for it.

Stripe's hosted Checkout cannot change its shipping options by the address typed on its page, so the
customer chooses the country first (the cart page, or `country` in the API): the session allows that one
country and offers that country's rates (at most five, by position). A rate that is free above a subtotal is
offered at 0 when the products add up to more than that, and at its amount otherwise; the subtotal is
before any discount, since the code is typed on Stripe's page after the options are set.

The rates offered are kept on the order (`Order.shipping_options`) before Stripe is called: the session is
made from that copy (a retried call sends the same parameters), and the rate the customer picked is read
back from it when the order is paid, so a rate staff change meanwhile never changes an order already open.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from payments.money import to_minor_units
from shop.models import Order, ShippingRate
from shop.models.pricing import COUNTRY_CODE
from shop.orders import CheckoutError

MAX_SHIPPING_OPTIONS = 5  # Stripe's limit per Checkout Session
COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "AT": "Austria",
    "BE": "Belgium",
    "BG": "Bulgaria",
    "HR": "Croatia",
    "CY": "Cyprus",
    "CZ": "Czechia",
    "DK": "Denmark",
    "EE": "Estonia",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IE": "Ireland",
    "IT": "Italy",
    "LV": "Latvia",
    "LT": "Lithuania",
    "LU": "Luxembourg",
    "MT": "Malta",
    "NL": "Netherlands",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SK": "Slovakia",
    "SI": "Slovenia",
    "ES": "Spain",
    "SE": "Sweden",
    "CH": "Switzerland",
    "NO": "Norway",
    "AU": "Australia",
    "NZ": "New Zealand",
    "JP": "Japan",
    "MX": "Mexico",
}


class UnsupportedCountry(CheckoutError):
    """A country the shop does not ship to (400 `unsupported_country`)."""


@dataclass(frozen=True)
class OfferedRate:
    rate: ShippingRate
    amount: Decimal  # what checkout charges for it on this order

    @property
    def is_free(self) -> bool:
        return self.amount == 0 and self.rate.amount > 0


def shipping_countries() -> list[str]:
    """SHOP_SHIPPING_COUNTRIES: where the shop ships, the default first."""
    return list(getattr(settings, "SHOP_SHIPPING_COUNTRIES", None) or ["US"])


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def country_choices() -> list[tuple[str, str]]:
    return [(code, country_name(code)) for code in shipping_countries()]


def checkout_country(raw) -> str:
    """The country a checkout ships to: `raw` (any case), or the first of SHOP_SHIPPING_COUNTRIES when it is
    empty; UnsupportedCountry for anything else."""
    countries = shipping_countries()
    if raw is None or raw == "":
        return countries[0]
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code in countries:
        return code
    shown = code if COUNTRY_CODE.match(code) else "that country"
    message = f"We do not ship to {shown}. Choose one of: {', '.join(countries)}."
    raise UnsupportedCountry("unsupported_country", message, 400, fields={"country": [message]})


def offered_rates(*, country: str, currency: str | None = None, subtotal: Decimal | None = None) -> list[OfferedRate]:
    """The active rates serving `country` (in `currency`, or every currency), by position, at most five per
    currency, each with what it costs on an order of `subtotal` (None: its full amount). One query."""
    offered: list[OfferedRate] = []
    per_currency: dict[str, int] = {}
    for rate in ShippingRate.objects.active():
        if country not in rate.country_list or (currency and rate.currency != currency.upper()):
            continue
        if per_currency.get(rate.currency, 0) >= MAX_SHIPPING_OPTIONS:
            continue
        per_currency[rate.currency] = per_currency.get(rate.currency, 0) + 1
        offered.append(OfferedRate(rate=rate, amount=rate.amount_for(subtotal)))
    return offered


def offered_snapshot(offered: list[OfferedRate]) -> list[dict]:
    """What an order keeps of the rates its checkout offers (JSON), in the order they are offered."""
    return [
        {
            "rate_id": item.rate.pk,
            "name": item.rate.name,
            "amount": str(item.amount),
            "delivery_min": item.rate.delivery_min_days,
            "delivery_max": item.rate.delivery_max_days,
            "delivery_estimate": item.rate.delivery_estimate,
            "tax_code": item.rate.tax_code,
        }
        for item in offered
    ]


def _delivery_estimate_param(option: dict) -> dict:
    bounds = {}
    for bound, key in (("minimum", "delivery_min"), ("maximum", "delivery_max")):
        if option.get(key):
            bounds[bound] = {"unit": "business_day", "value": option[key]}
    return bounds


def shipping_options_param(order: Order) -> list[dict]:
    """The session's `shipping_options`: the order's offered rates as inline `shipping_rate_data`,
    tax-exclusive (Stripe adds the tax on top, as on the products)."""
    options = []
    for option in order.shipping_options:
        data = {
            "display_name": option["name"],
            "type": "fixed_amount",
            "fixed_amount": {
                "amount": to_minor_units(Decimal(option["amount"]), order.currency),
                "currency": order.currency.lower(),
            },
            "tax_behavior": "exclusive",
            "tax_code": option["tax_code"],
            "metadata": {"shipping_rate_id": str(option["rate_id"])},
        }
        estimate = _delivery_estimate_param(option)
        if estimate:
            data["delivery_estimate"] = estimate
        options.append({"shipping_rate_data": data})
    return options


def remember_stripe_rates(order: Order, session_options: list) -> None:
    """Note each offered rate's Stripe id (`shr_…`, made by Stripe from our inline data) on the order's copy,
    so the rate a paid session names is found there. Stripe answers the options in the order they were sent."""
    for option, answered in zip(order.shipping_options, session_options or [], strict=False):
        rate_id = answered.get("shipping_rate") if isinstance(answered, dict) else None
        if isinstance(rate_id, str):
            option["stripe_id"] = rate_id
