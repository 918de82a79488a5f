"""A deterministic stand-in for Stripe Tax: one rate per jurisdiction, from the table below.

Used when a Checkout Session has `automatic_tax[enabled]=true`. Prices and shipping rates are
tax-exclusive (`tax_behavior: exclusive`; `unspecified` is treated as exclusive, `inclusive` is
refused); tax is charged on each line's amount after its discount, and on the shipping amount
unless the shipping rate's tax code is the non-taxable `txcd_00000000`. Each amount is rounded
half-up to the minor unit, line by line. The destination is the shipping address (or the payer's
address when none is collected). The README's emulator section shows the same table.

| Where | Rate | Tax |
| --- | --- | --- |
| US-CA | 7.25 % | sales tax |
| US-NY | 4 % | sales tax |
| US-TX | 6.25 % | sales tax |
| US-FL | 6 % | sales tax |
| US-WA | 6.5 % | sales tax |
| US-AK, US-DE, US-MT, US-NH, US-OR | 0 % (no sales tax) | — |
| other US states and DC | 5 % | sales tax |
| CA-ON | 13 % | HST |
| CA-QC | 14.975 % | GST + QST |
| other Canadian provinces and territories | 5 % | GST |
| DE 19 %, FR 20 %, NL 21 %, ES 21 %, IT 22 %, IE 23 % | as listed | VAT |
| other EU member states | 20 % | VAT |
| anywhere else | 0 % (not collecting) | — |
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

NON_TAXABLE_CODE = "txcd_00000000"

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
    ]
)
CA_PROVINCES = frozenset(["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"])
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

US_RATES = {"CA": "7.25", "NY": "4", "TX": "6.25", "FL": "6", "WA": "6.5"}
US_NO_SALES_TAX = frozenset({"AK", "DE", "MT", "NH", "OR"})
US_OTHER_RATE = "5"
CA_RATES = {"ON": ("13", "HST", "hst"), "QC": ("14.975", "GST + QST", "gst")}
CA_OTHER_RATE = "5"
EU_RATES = {"DE": "19", "FR": "20", "NL": "21", "ES": "21", "IT": "22", "IE": "23"}
EU_OTHER_RATE = "20"


@dataclass(frozen=True)
class Jurisdiction:
    """Where tax is owed and at what rate (percent, exact)."""

    country: str
    state: str | None
    percentage: Decimal
    display_name: str
    tax_type: str
    level: str  # Stripe's jurisdiction_level: "state" or "country"
    taxability_reason: str  # "standard_rated", "not_subject_to_tax" or "not_collecting"

    @property
    def key(self) -> str:
        return f"{self.country}-{self.state}" if self.state else self.country


def jurisdiction(country: str, state: str | None) -> Jurisdiction:
    """The jurisdiction of an address (country code, and the state or province for US/CA)."""
    country = (country or "").upper()
    state = (state or "").upper() or None
    if country == "US" and state in US_STATES:
        if state in US_NO_SALES_TAX:
            return Jurisdiction(country, state, Decimal(0), "Sales Tax", "sales_tax", "state", "not_subject_to_tax")
        rate = US_RATES.get(state, US_OTHER_RATE)
        return Jurisdiction(country, state, Decimal(rate), "Sales Tax", "sales_tax", "state", "standard_rated")
    if country == "CA" and state in CA_PROVINCES:
        rate, name, kind = CA_RATES.get(state, (CA_OTHER_RATE, "GST", "gst"))
        return Jurisdiction(country, state, Decimal(rate), name, kind, "state", "standard_rated")
    if country in EU_COUNTRIES:
        rate = EU_RATES.get(country, EU_OTHER_RATE)
        return Jurisdiction(country, None, Decimal(rate), "VAT", "vat", "country", "standard_rated")
    return Jurisdiction(country, None, Decimal(0), "Tax", "sales_tax", "country", "not_collecting")


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_on(amount: int, percentage: Decimal) -> int:
    """Tax on an exclusive amount in minor units, rounded half-up."""
    return round_half_up(Decimal(amount) * percentage / 100)


def state_required(country: str) -> bool:
    """Whether an address in `country` needs a state or province (for tax)."""
    return country.upper() in ("US", "CA")


def valid_state(country: str, state: str) -> bool:
    codes = US_STATES if country.upper() == "US" else CA_PROVINCES
    return state.upper() in codes
