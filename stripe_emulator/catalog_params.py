"""The parameters of the catalog and customer endpoints: products, prices, customers, shipping rates."""

from __future__ import annotations

import re
from typing import Any

from .params import (
    EMAIL,
    StripeError,
    bool_param,
    check_known,
    enum_param,
    integer_param,
    metadata_param,
    object_param,
    required,
    string_param,
)

CURRENCY = re.compile(r"^[a-z]{3}$")
INTERVALS = ("day", "week", "month", "year")
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")

PRODUCT_CREATE_PARAMS = frozenset(
    {
        "active",
        "default_price_data",
        "description",
        "expand",
        "id",
        "images",
        "marketing_features",
        "metadata",
        "name",
        "package_dimensions",
        "shippable",
        "statement_descriptor",
        "tax_code",
        "tax_details",
        "type",
        "unit_label",
        "url",
    }
)
PRODUCT_UPDATE_PARAMS = (PRODUCT_CREATE_PARAMS - {"id", "default_price_data", "type"}) | {"default_price"}
PRICE_CREATE_PARAMS = frozenset(
    {
        "active",
        "billing_scheme",
        "currency",
        "currency_options",
        "custom_unit_amount",
        "expand",
        "lookup_key",
        "metadata",
        "nickname",
        "product",
        "product_data",
        "recurring",
        "tax_behavior",
        "tiers",
        "tiers_mode",
        "transfer_lookup_key",
        "transform_quantity",
        "unit_amount",
        "unit_amount_decimal",
    }
)
PRICE_UPDATE_PARAMS = frozenset(
    {
        "active",
        "currency_options",
        "expand",
        "lookup_key",
        "metadata",
        "nickname",
        "tax_behavior",
        "transfer_lookup_key",
    }
)
CUSTOMER_FIELDS = frozenset(
    {
        "address",
        "balance",
        "business_name",
        "cash_balance",
        "description",
        "email",
        "expand",
        "individual_name",
        "invoice_prefix",
        "invoice_settings",
        "metadata",
        "name",
        "next_invoice_sequence",
        "phone",
        "preferred_locales",
        "shipping",
        "source",
        "tax",
        "tax_exempt",
        "validate",
    }
)
CUSTOMER_CREATE_PARAMS = CUSTOMER_FIELDS | {"payment_method", "tax_id_data", "test_clock"}
CUSTOMER_UPDATE_PARAMS = CUSTOMER_FIELDS | {"default_source"}
ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def product_fields(params: dict[str, Any]) -> dict[str, Any]:
    """The product fields a create or update sets (only those given)."""
    fields: dict[str, Any] = {}
    for name in ("description", "statement_descriptor", "tax_code", "unit_label", "url"):
        if name in params:
            fields[name] = string_param(params, name)
    if "name" in params:
        fields["name"] = required(string_param(params, "name"), "name")
    for name in ("active", "shippable"):
        value = bool_param(params, name)
        if value is not None:
            fields[name] = value
    if "images" in params:
        images = params["images"] or []
        if not isinstance(images, list) or len(images) > 8:
            raise StripeError("images must be a list of at most 8 URLs.", param="images")
        fields["images"] = list(images)
    return fields


def product_create_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, PRODUCT_CREATE_PARAMS)
    if params.get("default_price_data"):
        raise StripeError("The emulator creates prices with POST /v1/prices only.", param="default_price_data")
    fields = product_fields(params)
    required(fields.get("name"), "name")
    fields["metadata"] = metadata_param(params.get("metadata"), "metadata")
    fields["type"] = enum_param(params, "type", ("good", "service")) or "service"
    return {"id": string_param(params, "id"), **fields}


def product_update_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, PRODUCT_UPDATE_PARAMS)
    fields = product_fields(params)
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        fields["metadata"] = params["metadata"]
    if "default_price" in params:
        fields["default_price"] = string_param(params, "default_price")
    return fields


def _unit_amount(params: dict[str, Any]) -> int:
    unit_amount = integer_param(params, "unit_amount")
    if unit_amount is None and params.get("unit_amount_decimal") not in (None, ""):
        try:
            unit_amount = int(str(params["unit_amount_decimal"]))
        except ValueError:
            raise StripeError("The emulator supports whole unit amounts only.", param="unit_amount_decimal") from None
    if unit_amount is None:
        raise StripeError("Missing required param: unit_amount.", code="parameter_missing", param="unit_amount")
    if unit_amount < 0:
        raise StripeError("unit_amount must be at least 0.", param="unit_amount")
    return unit_amount


def _recurring(params: dict[str, Any]) -> dict[str, Any] | None:
    recurring = object_param(params, "recurring")
    if not recurring:
        return None
    check_known(
        recurring, frozenset({"interval", "interval_count", "meter", "trial_period_days", "usage_type"}), "recurring["
    )
    interval = required(
        enum_param(recurring, "interval", INTERVALS, param="recurring[interval]"), "recurring[interval]"
    )
    count = integer_param(recurring, "interval_count", param="recurring[interval_count]") or 1
    if not 1 <= count <= (3 if interval == "year" else 36 if interval == "month" else 156):
        raise StripeError(
            "recurring[interval_count] is out of range for the interval.", param="recurring[interval_count]"
        )
    if (recurring.get("usage_type") or "licensed") != "licensed":
        raise StripeError("The emulator supports licensed (not metered) prices only.", param="recurring[usage_type]")
    trial = integer_param(recurring, "trial_period_days", param="recurring[trial_period_days]")
    return {"interval": interval, "interval_count": count, "trial_period_days": trial}


def price_create_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, PRICE_CREATE_PARAMS)
    for unsupported in ("tiers", "tiers_mode", "custom_unit_amount", "transform_quantity", "currency_options"):
        if params.get(unsupported):
            raise StripeError(f"The emulator does not support {unsupported}.", param=unsupported)
    if (params.get("billing_scheme") or "per_unit") != "per_unit":
        raise StripeError("The emulator supports billing_scheme=per_unit only.", param="billing_scheme")
    currency = required(string_param(params, "currency"), "currency").lower()
    if not CURRENCY.match(currency):
        raise StripeError(f"Invalid currency: {currency}", code="parameter_invalid_string", param="currency")
    product = string_param(params, "product")
    product_data = object_param(params, "product_data")
    if (product is None) == (not product_data):
        raise StripeError("You must pass exactly one of product and product_data.", param="product")
    if product_data:
        required(string_param(product_data, "name", param="product_data[name]"), "product_data[name]")
    active = bool_param(params, "active")
    return {
        "currency": currency,
        "unit_amount": _unit_amount(params),
        "product": product,
        "product_data": product_data,
        "recurring": _recurring(params),
        "active": True if active is None else active,
        "lookup_key": string_param(params, "lookup_key"),
        "transfer_lookup_key": bool(bool_param(params, "transfer_lookup_key")),
        "nickname": string_param(params, "nickname"),
        "metadata": metadata_param(params.get("metadata"), "metadata"),
        "tax_behavior": enum_param(params, "tax_behavior", TAX_BEHAVIORS) or "unspecified",
    }


def price_update_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, PRICE_UPDATE_PARAMS)
    changes: dict[str, Any] = {}
    active = bool_param(params, "active")
    if active is not None:
        changes["active"] = active
    for name in ("lookup_key", "nickname"):
        if name in params:
            changes[name] = string_param(params, name)
    if "tax_behavior" in params:
        changes["tax_behavior"] = enum_param(params, "tax_behavior", TAX_BEHAVIORS)
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        changes["metadata"] = params["metadata"]
    return {"changes": changes, "transfer_lookup_key": bool(bool_param(params, "transfer_lookup_key"))}


def address_param(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    address = object_param(params, name)
    if not address:
        return None
    check_known(address, frozenset(ADDRESS_FIELDS), f"{name}[")
    return {field: string_param(address, field, param=f"{name}[{field}]") for field in ADDRESS_FIELDS}


def customer_fields(params: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """The customer fields a create or update sets (only those given)."""
    check_known(params, allowed)
    fields: dict[str, Any] = {}
    if "email" in params:
        email = string_param(params, "email")
        if email is not None and (len(email) > 512 or not EMAIL.match(email)):
            raise StripeError(f"Invalid email address: {email}", code="email_invalid", param="email")
        fields["email"] = email
    for name in ("name", "description", "phone", "business_name", "individual_name"):
        if name in params:
            fields[name] = string_param(params, name)
    if "address" in params:
        fields["address"] = address_param(params, "address")
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        fields["metadata"] = params["metadata"]
    if "tax_exempt" in params:
        fields["tax_exempt"] = enum_param(params, "tax_exempt", ("exempt", "none", "reverse")) or "none"
    return fields
