"""The parameters of POST /v1/checkout/sessions: which names Stripe accepts, what the
line items (inline `price_data` or `price` ids), countries, customer and expiry must hold, all
checked in Stripe's order. The optional features (shipping options, discounts, tax, consent,
recovery, subscription data) are checked in session_options.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .catalog_objects import price_object, product_object
from .objects import new_id
from .params import (
    EMAIL,
    StripeError,
    bool_param,
    enum_param,
    integer_param,
    metadata_param,
    object_param,
    string_param,
    url_param,
)
from .session_options import (
    after_expiration_param,
    automatic_tax_param,
    consent_collection_param,
    discounts_param,
    shipping_options_param,
    subscription_data_param,
    ui_mode_param,
)

MAX_EXPIRY_SECONDS = 24 * 60 * 60
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[a-z]{3}$")
INTERVALS = ("day", "week", "month", "year")
# `lookup(kind, id)`: an object the emulator keeps ("price", "product"), or None
Lookup = Callable[[str, str], dict[str, Any] | None]

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


def _recurring_param(raw: Any, param: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    recurring = object_param({"r": raw}, "r", param=param)
    interval = enum_param(recurring, "interval", INTERVALS, param=f"{param}[interval]")
    if interval is None:
        raise StripeError(
            f"Missing required param: {param}[interval].", code="parameter_missing", param=f"{param}[interval]"
        )
    count = integer_param(recurring, "interval_count", param=f"{param}[interval_count]") or 1
    if not 1 <= count <= (3 if interval == "year" else 36 if interval == "month" else 156):
        raise StripeError("The interval_count is out of range for the interval.", param=f"{param}[interval_count]")
    return {"interval": interval, "interval_count": count}


def _inline_price(price_data: dict[str, Any], name: str, lookup: Lookup, now: int) -> tuple[dict, dict | None]:
    """The price (and new product, if `product_data`) made for a line's `price_data`."""
    currency = price_data.get("currency")
    if not isinstance(currency, str) or not CURRENCY.match(currency.lower()):
        raise StripeError(
            f"Invalid currency: {currency!r}.", code="parameter_invalid_string", param=f"{name}[price_data][currency]"
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
    product = None
    if isinstance(product_data, dict) and product_data.get("name"):
        metadata = metadata_param(product_data.get("metadata"), f"{name}[price_data][product_data][metadata]")
        product = product_object(new_id("prod_"), str(product_data["name"]), created=now, metadata=metadata)
        product["description"] = product_data.get("description") or None
        product["tax_code"] = product_data.get("tax_code") or None
    elif isinstance(price_data.get("product"), str) and lookup("product", price_data["product"]) is None:
        raise StripeError(
            f"No such product: '{price_data['product']}'", code="resource_missing", param=f"{name}[price_data][product]"
        )
    elif not isinstance(price_data.get("product"), str):
        raise StripeError(
            f"Missing required param: {name}[price_data][product_data][name].",
            code="parameter_missing",
            param=f"{name}[price_data][product_data][name]",
        )
    price = price_object(
        new_id("price_"),
        currency=currency.lower(),
        unit_amount=unit_amount,
        product=product["id"] if product else price_data["product"],
        created=now,
        recurring=_recurring_param(price_data.get("recurring"), f"{name}[price_data][recurring]"),
        active=False,
        tax_behavior=enum_param(price_data, "tax_behavior", ("exclusive", "inclusive", "unspecified")) or "unspecified",
        metadata=dict(product["metadata"]) if product else {},
    )
    return price, product


def _existing_price(price_id: Any, name: str, lookup: Lookup) -> dict[str, Any]:
    price = lookup("price", price_id) if isinstance(price_id, str) else None
    if price is None:
        raise StripeError(f"No such price: '{price_id}'", code="resource_missing", param=f"{name}[price]")
    if not price["active"]:
        raise StripeError(
            f"The price specified ({price_id}) is inactive. This field only accepts active prices.",
            param=f"{name}[price]",
        )
    return price


def line_items_param(
    raw: Any, default_currency: Any, *, mode: str = "payment", lookup: Lookup | None = None, now: int = 0
) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """`(line items, currency, new prices and products)`: each line names a `price` id or has
    `price_data` (an inactive price, and a product from `product_data`, are made for it)."""
    lookup = lookup or (lambda kind, object_id: None)
    if not raw:
        raise StripeError(
            f"You must specify either `line_items` or `subscription_data` when using `mode={mode}`.",
            code="parameter_missing",
            param="line_items",
        )
    if not isinstance(raw, list):
        raise StripeError("Invalid array", param="line_items")
    if len(raw) > 100:
        raise StripeError("A Checkout Session can have at most 100 line items.", param="line_items")
    currency = default_currency.lower() if isinstance(default_currency, str) and default_currency else None
    items: list[dict[str, Any]] = []
    created: list[dict[str, Any]] = []
    for index, line in enumerate(raw):
        name = f"line_items[{index}]"
        if not isinstance(line, dict):
            raise StripeError("Invalid object", param=name)
        if "price" in line:
            price = _existing_price(line["price"], name, lookup)
            product = lookup("product", price["product"]) or {"name": price["product"]}
        elif isinstance(line.get("price_data"), dict):
            price, new_product = _inline_price(line["price_data"], name, lookup, now)
            product = new_product or lookup("product", price["product"]) or {}
            created.extend([price, *([new_product] if new_product else [])])
        else:
            raise StripeError(
                f"Missing required param: {name}[price_data].", code="parameter_missing", param=f"{name}[price_data]"
            )
        if currency is None:
            currency = price["currency"]
        elif price["currency"] != currency:
            raise StripeError(
                "All line items must use the same currency.", code="parameter_invalid_string", param=f"{name}[price]"
            )
        _check_price_for_mode(price, mode, items, name)
        quantity = integer_param(line, "quantity", param=f"{name}[quantity]")
        if quantity is None or quantity < 1:
            raise StripeError(
                f"Invalid {name}[quantity]: must be a positive integer.",
                code="parameter_invalid_integer",
                param=f"{name}[quantity]",
            )
        amount = price["unit_amount"] * quantity
        items.append(
            {
                "id": new_id("li_"),
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product.get("name"),
                "metadata": metadata_param(line.get("metadata"), f"{name}[metadata]"),
                "price": dict(price),
                "quantity": quantity,
            }
        )
    assert currency is not None
    return items, currency, created


def _check_price_for_mode(price: dict[str, Any], mode: str, earlier: list[dict[str, Any]], name: str) -> None:
    recurring = price["recurring"]
    if mode == "payment" and recurring:
        raise StripeError(
            "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode "
            "or use only one-time prices.",
            param=f"{name}[price]",
        )
    if mode == "subscription" and not recurring:
        raise StripeError("The emulator supports recurring prices only in `subscription` mode.", param=f"{name}[price]")
    if mode == "subscription" and earlier:
        first = earlier[0]["price"]["recurring"]
        if (first["interval"], first["interval_count"]) != (recurring["interval"], recurring["interval_count"]):
            raise StripeError("All prices on a subscription must have the same recurring interval.", param=name)


def _expiry(params: dict[str, Any], now: int) -> int:
    expires_at = integer_param(params, "expires_at")
    if expires_at is None:
        return now + MAX_EXPIRY_SECONDS
    if not now < expires_at <= now + MAX_EXPIRY_SECONDS + 60:
        # Real Stripe also wants it at least 30 minutes ahead; the emulator lets tests use seconds.
        raise StripeError(
            "The `expires_at` timestamp must be in the future and less than 24 hours from Checkout Session creation.",
            code="parameter_invalid_integer",
            param="expires_at",
        )
    return expires_at


def _customer_options(params: dict[str, Any], mode: str, lookup: Lookup) -> dict[str, Any]:
    customer_email = string_param(params, "customer_email")
    if customer_email is not None and not EMAIL.match(customer_email):
        raise StripeError(f"Invalid email address: {customer_email}", code="email_invalid", param="customer_email")
    customer = string_param(params, "customer")
    if customer is not None:
        found = lookup("customer", customer)
        if found is None or found.get("deleted"):
            raise StripeError(f"No such customer: '{customer}'", code="resource_missing", param="customer")
        if customer_email is not None:
            raise StripeError(
                "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
            )
    creation = enum_param(params, "customer_creation", ("always", "if_required"))
    if creation is not None and mode != "payment":
        raise StripeError("`customer_creation` can only be used in `payment` mode.", param="customer_creation")
    client_reference_id = string_param(params, "client_reference_id")
    if client_reference_id is not None and len(client_reference_id) > 200:
        raise StripeError(
            "client_reference_id may be at most 200 characters.",
            code="parameter_invalid_string_too_long",
            param="client_reference_id",
        )
    return {
        "customer_email": customer_email,
        "customer": customer,
        "customer_creation": creation or ("if_required" if mode == "payment" else None),
        "client_reference_id": client_reference_id,
    }


def _mode_options(params: dict[str, Any], mode: str, now: int) -> dict[str, Any]:
    payment_intent_data = object_param(params, "payment_intent_data")
    if payment_intent_data and mode != "payment":
        raise StripeError("You can not pass `payment_intent_data` in `subscription` mode.", param="payment_intent_data")
    if params.get("subscription_data") and mode != "subscription":
        raise StripeError("You can not pass `subscription_data` in `payment` mode.", param="subscription_data")
    if params.get("shipping_options") and mode != "payment":
        raise StripeError("`shipping_options` can only be used in `payment` mode.", param="shipping_options")
    allow_codes = bool_param(params, "allow_promotion_codes")
    automatic_tax = automatic_tax_param(params.get("automatic_tax"))
    if automatic_tax and mode != "payment":
        raise StripeError("The emulator computes tax in `payment` mode only.", param="automatic_tax")
    return {
        "pi_metadata": metadata_param(payment_intent_data.get("metadata"), "payment_intent_data[metadata]"),
        "subscription_data": subscription_data_param(params.get("subscription_data"), now),
        "allow_promotion_codes": allow_codes,
        "discount": discounts_param(params.get("discounts"), allow_codes),
        "automatic_tax": automatic_tax,
        "consent_collection": consent_collection_param(params.get("consent_collection")),
        "after_expiration": after_expiration_param(params.get("after_expiration")),
        "ui_mode": ui_mode_param(params),
    }


def session_create_options(params: dict[str, Any], now: int, lookup: Lookup | None = None) -> dict[str, Any]:
    """The checked parameters of POST /v1/checkout/sessions, refused in the order Stripe checks them."""
    lookup = lookup or (lambda kind, object_id: None)
    for name in params:
        if name not in SESSION_CREATE_PARAMS:
            raise StripeError(f"Received unknown parameter: {name}", param=name)
    mode = string_param(params, "mode")
    if mode is None:
        raise StripeError("Missing required param: mode.", code="parameter_missing", param="mode")
    if mode not in ("payment", "subscription"):
        raise StripeError(
            f"The emulator supports mode=payment and mode=subscription, not {mode!r}.",
            code="parameter_invalid",
            param="mode",
        )
    options = {
        "mode": mode,
        "success_url": url_param(params, "success_url"),
        "cancel_url": url_param(params, "cancel_url"),
        **_customer_options(params, mode, lookup),
        "metadata": metadata_param(params.get("metadata"), "metadata"),
        **_mode_options(params, mode, now),
        "allowed_countries": allowed_countries_param(params.get("shipping_address_collection")),
        "expires_at": _expiry(params, now),
        "billing_address_collection": string_param(params, "billing_address_collection"),
        "locale": string_param(params, "locale"),
        "submit_type": string_param(params, "submit_type"),
    }
    items, currency, created = line_items_param(
        params.get("line_items"), params.get("currency"), mode=mode, lookup=lookup, now=now
    )
    options.update(
        line_items=items,
        currency=currency,
        created_objects=created,
        shipping_options=shipping_options_param(params.get("shipping_options"), currency),
    )
    return options
