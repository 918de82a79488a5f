"""Checkout Sessions as the API answers them (at the pinned version): a new session from its
checked parameters, its totals (discount, shipping, tax), and what completing it changes.

At this version the shipping address is under `collected_information.shipping_details` (the
top-level `shipping_details` went in 2025-03-31.basil) and `ui_mode` is `hosted_page` (2026-03-25.dahlia).
"""

from __future__ import annotations

from typing import Any

from .objects import clone, payer_address

# Every new Checkout Session, in Stripe's field order; session_object fills in the fields set to None here.
_NEW_SESSION: dict[str, Any] = {
    "id": None,
    "object": "checkout.session",
    "after_expiration": None,
    "allow_promotion_codes": None,
    "amount_subtotal": None,
    "amount_total": None,
    "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
    "billing_address_collection": None,
    "cancel_url": None,
    "client_reference_id": None,
    "client_secret": None,
    "collected_information": None,
    "consent": None,
    "consent_collection": None,
    "created": None,
    "currency": None,
    "custom_fields": [],
    "custom_text": {
        "after_submit": None,
        "shipping_address": None,
        "submit": None,
        "terms_of_service_acceptance": None,
    },
    "customer": None,
    "customer_account": None,
    "customer_creation": "if_required",
    "customer_details": None,
    "customer_email": None,
    "discounts": [],
    "expires_at": None,
    "invoice": None,
    "livemode": False,
    "locale": None,
    "metadata": None,
    "mode": "payment",
    "payment_intent": None,
    "payment_link": None,
    "payment_method_collection": "if_required",
    "payment_method_types": ["card"],
    "payment_status": "unpaid",
    "phone_number_collection": {"enabled": False},
    "recovered_from": None,
    "setup_intent": None,
    "shipping_address_collection": None,
    "shipping_cost": None,
    "shipping_options": [],
    "status": "open",
    "submit_type": None,
    "subscription": None,
    "success_url": None,
    "total_details": None,
    "ui_mode": "hosted_page",
    "url": None,
}


def session_object(session_id: str, options: dict[str, Any], *, created: int, url: str) -> dict[str, Any]:
    """A new, open Checkout Session from the checked create parameters (see session_params.py);
    its amounts are set by `set_totals`."""
    allowed_countries = options["allowed_countries"]
    session = clone(_NEW_SESSION)
    session.update(
        {
            "id": session_id,
            "created": created,
            "expires_at": options["expires_at"],
            "shipping_address_collection": (
                {"allowed_countries": allowed_countries} if allowed_countries is not None else None
            ),
            "url": url,
            "after_expiration": clone(options["after_expiration"]),
            "allow_promotion_codes": options["allow_promotion_codes"],
            "consent_collection": clone(options["consent_collection"]),
            "payment_method_collection": "if_required" if options["mode"] == "payment" else "always",
        }
    )
    if options["automatic_tax"]:
        session["automatic_tax"] = {
            "enabled": True,
            "liability": {"account": None, "type": "self"},
            "provider": "stripe",
            "status": "requires_location_inputs",
        }
    for name in (
        "billing_address_collection",
        "cancel_url",
        "client_reference_id",
        "currency",
        "customer",
        "customer_creation",
        "customer_email",
        "locale",
        "metadata",
        "mode",
        "submit_type",
        "success_url",
        "ui_mode",
    ):
        session[name] = options[name]
    return session


def set_totals(
    session: dict[str, Any],
    items: list[dict[str, Any]],
    totals: dict[str, Any],
    *,
    shipping_rate: str | None,
    discount: dict[str, Any] | None,
) -> None:
    """Write computed totals (pricing.totals) onto the session and its line items.

    `discount` is the session's `{"coupon", "promotion_code"}` entry, or None.
    """
    for item, off, tax in zip(items, totals["line_discounts"], totals["line_taxes"], strict=True):
        item.update(amount_discount=off, amount_tax=tax, amount_total=item["amount_subtotal"] - off + tax)
    session["amount_subtotal"] = totals["subtotal"]
    session["amount_total"] = totals["total"]
    session["total_details"] = {
        "amount_discount": totals["discount"],
        "amount_shipping": totals["shipping"],  # tax on shipping is in amount_tax
        "amount_tax": totals["tax"],
    }
    session["shipping_cost"] = (
        {
            "amount_subtotal": totals["shipping"],
            "amount_tax": totals["shipping_tax"],
            "amount_total": totals["shipping"] + totals["shipping_tax"],
            "shipping_rate": shipping_rate,
        }
        if shipping_rate
        else None
    )
    session["discounts"] = [dict(discount)] if discount else []


def completed_session_fields(
    pi_id: str | None, *, payer: dict[str, str], payment_status: str, shipping: bool
) -> dict[str, Any]:
    """What completing a Checkout Session changes on it: status, payment and the payer's details
    (the address is the shipping address only when the session collected one)."""
    address = payer_address(payer)
    return {
        "status": "complete",
        "url": None,
        "payment_status": payment_status,
        "payment_intent": pi_id,
        "customer_details": {
            "address": dict(address),
            "business_name": None,
            "email": payer["email"],
            "individual_name": None,
            "name": payer["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "collected_information": {
            "business_name": None,
            "individual_name": None,
            "shipping_details": {"address": dict(address), "name": payer["name"]} if shipping else None,
        },
    }
