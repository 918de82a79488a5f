"""The parameters of POST /v1/checkout/sessions: which names Stripe accepts, what the
line items, shipping options, countries and expiry must hold, all checked in Stripe's order.
"""

from __future__ import annotations

import re
from typing import Any

from .objects import new_id
from .params import EMAIL, StripeError, integer_param, metadata_param, string_param, url_param

MAX_EXPIRY_SECONDS = 24 * 60 * 60
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[a-z]{3}$")

# Real Stripe accepts these top-level parameters on POST /v1/checkout/sessions.
# The emulator acts on a subset and accepts the rest silently, but refuses a
# name Stripe would refuse, so a typo fails here as it would in production.
SESSION_CREATE_PARAMS = frozenset(
    {
        "adaptive_pricing",
        "after_expiration",
        "allow_promotion_codes",
        "allowed_payment_method_types",
        "automatic_tax",
        "billing_address_collection",
        "branding_settings",
        "cancel_url",
        "client_reference_id",
        "consent_collection",
        "currency",
        "custom_fields",
        "custom_text",
        "customer",
        "customer_account",
        "customer_creation",
        "customer_email",
        "customer_update",
        "discounts",
        "excluded_payment_method_types",
        "expand",
        "expires_at",
        "integration_identifier",
        "invoice_creation",
        "line_items",
        "locale",
        "managed_payments",
        "metadata",
        "mode",
        "name_collection",
        "optional_items",
        "origin_context",
        "payment_intent_data",
        "payment_method_collection",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "payment_method_types",
        "permissions",
        "phone_number_collection",
        "redirect_on_completion",
        "return_url",
        "saved_payment_method_options",
        "setup_intent_data",
        "shipping_address_collection",
        "shipping_options",
        "submit_type",
        "subscription_data",
        "success_url",
        "tax_id_collection",
        "ui_mode",
        "wallet_options",
    }
)


def allowed_countries_param(raw: Any) -> list[str] | None:
    if raw is None or raw == "":
        return None
    param = "shipping_address_collection[allowed_countries]"
    countries = raw.get("allowed_countries") if isinstance(raw, dict) else None
    if not isinstance(countries, list) or not countries:
        raise StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)
    for country in countries:
        if not isinstance(country, str) or not COUNTRY.match(country):
            raise StripeError(f"Invalid country code: {country!r}", code="parameter_invalid_string", param=param)
    return list(countries)


def shipping_amount_param(raw: Any, currency: str) -> int:
    """The first shipping option's fixed amount (what the payer is charged by default)."""
    if not raw:
        return 0
    if not isinstance(raw, list) or not isinstance(raw[0], dict):
        raise StripeError("Invalid array", param="shipping_options")
    rate = raw[0].get("shipping_rate_data")
    if not isinstance(rate, dict):
        if "shipping_rate" in raw[0]:
            raise StripeError(
                "The emulator supports shipping_rate_data only.", code="resource_missing", param="shipping_options[0]"
            )
        return 0
    fixed = rate.get("fixed_amount")
    if not isinstance(fixed, dict):
        return 0
    if str(fixed.get("currency", currency)).lower() != currency:
        raise StripeError("Shipping must use the session's currency.", param="shipping_options[0]")
    amount = integer_param(fixed, "amount", param="shipping_options[0][shipping_rate_data][fixed_amount][amount]")
    return max(amount or 0, 0)


def line_items_param(raw: Any, default_currency: Any) -> tuple[list[dict[str, Any]], str]:
    if not raw:
        raise StripeError(
            "You must specify either `line_items` or `subscription_data` when using `mode=payment`.",
            code="parameter_missing",
            param="line_items",
        )
    if not isinstance(raw, list):
        raise StripeError("Invalid array", param="line_items")
    if len(raw) > 100:
        raise StripeError("A Checkout Session can have at most 100 line items.", param="line_items")
    currency = default_currency.lower() if isinstance(default_currency, str) and default_currency else None
    items = []
    for index, line in enumerate(raw):
        name = f"line_items[{index}]"
        if not isinstance(line, dict):
            raise StripeError("Invalid object", param=name)
        if "price" in line:
            raise StripeError(
                f"No such price: '{line['price']}' (the emulator supports price_data only)",
                code="resource_missing",
                param=f"{name}[price]",
            )
        price_data = line.get("price_data")
        if not isinstance(price_data, dict):
            raise StripeError(
                f"Missing required param: {name}[price_data].",
                code="parameter_missing",
                param=f"{name}[price_data]",
            )
        line_currency = price_data.get("currency")
        if not isinstance(line_currency, str) or not CURRENCY.match(line_currency.lower()):
            raise StripeError(
                f"Invalid currency: {line_currency!r}.",
                code="parameter_invalid_string",
                param=f"{name}[price_data][currency]",
            )
        line_currency = line_currency.lower()
        if currency is None:
            currency = line_currency
        elif line_currency != currency:
            raise StripeError(
                "All line items must use the same currency.",
                code="parameter_invalid_string",
                param=f"{name}[price_data][currency]",
            )
        unit_amount = integer_param(price_data, "unit_amount", param=f"{name}[price_data][unit_amount]")
        if unit_amount is None:
            decimal = price_data.get("unit_amount_decimal")
            try:
                unit_amount = int(str(decimal)) if decimal is not None else None
            except ValueError:
                unit_amount = None
        if unit_amount is None or unit_amount < 0:
            raise StripeError(
                f"Missing or invalid {name}[price_data][unit_amount].",
                code="parameter_invalid_integer",
                param=f"{name}[price_data][unit_amount]",
            )
        product_data = price_data.get("product_data")
        product_name = product_data.get("name") if isinstance(product_data, dict) else None
        if "product" in price_data:
            product_name = product_name or str(price_data["product"])
        if not product_name:
            raise StripeError(
                f"Missing required param: {name}[price_data][product_data][name].",
                code="parameter_missing",
                param=f"{name}[price_data][product_data][name]",
            )
        quantity = integer_param(line, "quantity", param=f"{name}[quantity]")
        if quantity is None or quantity < 1:
            raise StripeError(
                f"Invalid {name}[quantity]: must be a positive integer.",
                code="parameter_invalid_integer",
                param=f"{name}[quantity]",
            )
        amount = unit_amount * quantity
        items.append(
            {
                "id": new_id("li_"),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": line_currency,
                "description": product_name,
                "price": {
                    "id": new_id("price_"),
                    "object": "price",
                    "active": False,
                    "currency": line_currency,
                    "product": new_id("prod_"),
                    "type": "one_time",
                    "unit_amount": unit_amount,
                    "unit_amount_decimal": str(unit_amount),
                    "metadata": metadata_param(
                        product_data.get("metadata") if isinstance(product_data, dict) else None,
                        f"{name}[price_data][product_data][metadata]",
                    ),
                },
                "quantity": quantity,
            }
        )
    assert currency is not None
    return items, currency


def session_create_options(params: dict[str, Any], now: int) -> dict[str, Any]:
    """The checked parameters of POST /v1/checkout/sessions, refused in the order Stripe checks them."""
    for name in params:
        if name not in SESSION_CREATE_PARAMS:
            raise StripeError(f"Received unknown parameter: {name}", param=name)
    mode = string_param(params, "mode")
    if mode is None:
        raise StripeError("Missing required param: mode.", code="parameter_missing", param="mode")
    if mode != "payment":
        raise StripeError(
            f"The emulator supports mode=payment only, not {mode!r}.", code="parameter_invalid", param="mode"
        )
    success_url = url_param(params, "success_url")
    cancel_url = url_param(params, "cancel_url")
    customer_email = string_param(params, "customer_email")
    if customer_email is not None and not EMAIL.match(customer_email):
        raise StripeError(f"Invalid email address: {customer_email}", code="email_invalid", param="customer_email")
    client_reference_id = string_param(params, "client_reference_id")
    if client_reference_id is not None and len(client_reference_id) > 200:
        raise StripeError(
            "client_reference_id may be at most 200 characters.",
            code="parameter_invalid_string_too_long",
            param="client_reference_id",
        )
    metadata = metadata_param(params.get("metadata"), "metadata")
    payment_intent_data = params.get("payment_intent_data") or {}
    if not isinstance(payment_intent_data, dict):
        raise StripeError("Invalid object", param="payment_intent_data")
    pi_metadata = metadata_param(payment_intent_data.get("metadata"), "payment_intent_data[metadata]")
    allowed_countries = allowed_countries_param(params.get("shipping_address_collection"))
    expires_at = integer_param(params, "expires_at")
    if expires_at is None:
        expires_at = now + MAX_EXPIRY_SECONDS
    elif not now < expires_at <= now + MAX_EXPIRY_SECONDS + 60:
        # Real Stripe also wants it at least 30 minutes ahead; the emulator lets tests use seconds.
        raise StripeError(
            "The `expires_at` timestamp must be in the future and less than 24 hours from Checkout Session creation.",
            code="parameter_invalid_integer",
            param="expires_at",
        )
    items, currency = line_items_param(params.get("line_items"), params.get("currency"))
    return {
        "success_url": success_url,
        "cancel_url": cancel_url,
        "customer_email": customer_email,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "pi_metadata": pi_metadata,
        "allowed_countries": allowed_countries,
        "expires_at": expires_at,
        "line_items": items,
        "currency": currency,
        "shipping_amount": shipping_amount_param(params.get("shipping_options"), currency),
        "billing_address_collection": string_param(params, "billing_address_collection"),
        "locale": string_param(params, "locale"),
        "submit_type": string_param(params, "submit_type"),
    }
