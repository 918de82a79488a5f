"""Stripe-shaped objects: ids, copies, amounts, and the JSON the API answers
(PaymentIntents, Charges, Refunds, events, lists). Checkout Sessions are built in
session_objects.py, the catalog in catalog_objects.py, billing in billing_objects.py.

Plain functions building plain dicts; the store in store.py keeps them.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

# The API version the emulator reports in events unless told otherwise.
DEFAULT_API_VERSION = "2026-10-28.endive"

# Currencies whose amounts have no minor unit (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)

_ID_ALPHABET = string.ascii_letters + string.digits


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data (all the emulator stores); far faster than copy.deepcopy."""
    return json.loads(json.dumps(value))


def new_id(prefix: str, length: int = 24) -> str:
    # one urandom call per id (secrets.choice would make one per character); the modulo bias is harmless here
    return prefix + "".join(_ID_ALPHABET[byte % 62] for byte in secrets.token_bytes(length))


def format_amount(amount: int, currency: str) -> str:
    """`1999, "eur"` -> `"19.99 EUR"` (no locale: the page is for developers)."""
    code = currency.upper()
    if currency.lower() in ZERO_DECIMAL_CURRENCIES:
        return f"{amount} {code}"
    return f"{amount // 100}.{amount % 100:02d} {code}"


def list_object(data: list[Any], url: str, *, has_more: bool = False) -> dict[str, Any]:
    """A Stripe list: `{"object": "list", "data": [...], "has_more": ..., "url": ...}`."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def event_object(
    type: str,  # noqa: A002 - Stripe's field name
    obj: dict[str, Any],
    *,
    api_version: str,
    created: int,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Stripe event around a snapshot of `obj`."""
    data: dict[str, Any] = {"object": clone(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def payment_intent_object(
    pi_id: str,
    *,
    amount: int,
    currency: str,
    charge_id: str,
    payer: dict[str, str],
    delayed: bool,
    metadata: dict,
    now: int,
    customer: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The PaymentIntent of a session (or invoice) just paid: succeeded, or processing for a delayed method."""
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0 if delayed else amount,
        "canceled_at": None,
        "capture_method": "automatic_async",
        "client_secret": f"{pi_id}_secret_{new_id('', 16)}",
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": description,
        "last_payment_error": None,
        "latest_charge": charge_id,
        "livemode": False,
        "metadata": metadata,
        "payment_method": new_id("pm_"),
        "payment_method_types": ["us_bank_account"] if delayed else ["card"],
        "receipt_email": payer["email"],
        "status": "processing" if delayed else "succeeded",
    }


def payer_address(payer: dict[str, str]) -> dict[str, Any]:
    """The Stripe address of a payer's form fields (empty optional lines become null)."""
    return {
        "city": payer["city"],
        "country": payer["country"],
        "line1": payer["line1"],
        "line2": payer["line2"] or None,
        "postal_code": payer["postal_code"],
        "state": payer["state"] or None,
    }


def charge_object(charge_id: str, intent: dict[str, Any], *, payer: dict[str, str], delayed: bool) -> dict[str, Any]:
    """The Charge of a PaymentIntent just made: succeeded, or pending for a delayed method."""
    amount = intent["amount"]
    address = payer_address(payer)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": 0 if delayed else amount,
        "amount_refunded": 0,
        "balance_transaction": None if delayed else new_id("txn_"),
        "billing_details": {"address": address, "email": payer["email"], "name": payer["name"], "phone": None},
        "captured": not delayed,
        "created": intent["created"],
        "currency": intent["currency"],
        "description": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "paid": not delayed,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "receipt_email": payer["email"],
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge_id}/refunds",
        },
        "status": "pending" if delayed else "succeeded",
    }


def refund_object(
    charge: dict[str, Any], amount: int, *, metadata: dict[str, str], reason: str | None, created: int
) -> dict[str, Any]:
    """A succeeded Refund of `amount` on `charge`."""
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
