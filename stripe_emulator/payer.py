"""The payer on the hosted page: what the page fills in, and what a submitted form must hold."""

from __future__ import annotations

import re
from typing import Any

from .params import EMAIL

# What the hosted page fills in unless the payer changes it.
DEFAULT_PAYER = {
    "email": "dana.walker@example.com",
    "name": "Dana Walker",
    "line1": "350 Fifth Avenue",
    "line2": "",
    "city": "New York",
    "state": "NY",
    "postal_code": "10118",
    "country": "US",
}
PAYER_FIELDS = ("email", "name", "line1", "line2", "city", "state", "postal_code", "country")


def prefilled_payer(session: dict[str, Any]) -> dict[str, str]:
    """What the hosted page shows before the payer types: the defaults, fitted to the session."""
    payer = dict(DEFAULT_PAYER)
    allowed = (session.get("shipping_address_collection") or {}).get("allowed_countries")
    if allowed and payer["country"] not in allowed:
        payer["country"] = allowed[0]
    if session.get("customer_email"):
        payer["email"] = session["customer_email"]
    return payer


def payer_for(
    session: dict[str, Any], *, email: str | None, name: str | None, address: dict[str, str] | None
) -> dict[str, str]:
    """The prefilled payer with whatever was given instead (`complete_session` without the browser)."""
    payer = prefilled_payer(session)
    if email:
        payer["email"] = email
    if name:
        payer["name"] = name
    for key, value in (address or {}).items():
        if key in payer:
            payer[key] = value or ""
    return payer


def payer_problem(values: dict[str, str]) -> str | None:
    """What is wrong with the fields a payer submitted on the page, or None."""
    if not EMAIL.match(values["email"]):
        return "Enter a valid email address."
    for name, label in (("name", "full name"), ("line1", "address"), ("city", "city"), ("postal_code", "postal code")):
        if not values[name]:
            return f"Enter your {label}."
    if not re.match(r"^[A-Z]{2}$", values["country"]):
        return "Enter the country as a two-letter code, such as US."
    return None
