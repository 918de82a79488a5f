"""Stripe's request parameters as the emulator checks them: which names exist,
what each must hold, and the Stripe-shaped refusal (`StripeError`) when not.
"""

from __future__ import annotations

import re
from typing import Any

from .objects import new_id

MAX_EXPIRY_SECONDS = 24 * 60 * 60
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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
REFUND_CREATE_PARAMS = frozenset(
    {
        "amount",
        "charge",
        "currency",
        "customer",
        "expand",
        "instructions_email",
        "metadata",
        "origin",
        "payment_intent",
        "reason",
        "refund_application_fee",
        "reverse_transfer",
    }
)
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class StripeError(Exception):
    """A refusal shaped like Stripe's: `{"error": {"type", "message", "code", "param"}}`."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",  # noqa: A002 - Stripe's field name
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def no_such(kind: str, object_id: str, *, status: int = 404, param: str | None = "id") -> StripeError:
    return StripeError(f"No such {kind}: '{object_id}'", status=status, code="resource_missing", param=param)


def string_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise StripeError(f"Invalid string: {name} must be a string.", code="parameter_invalid_string", param=name)
    return value


def url_param(params: dict[str, Any], name: str) -> str | None:
    value = string_param(params, name)
    if value is not None and (
        not value.startswith(("http://", "https://"))
        or len(value) > 5000
        or any(ord(ch) <= 32 or ord(ch) == 127 for ch in value)  # it ends up in a Location header
    ):
        raise StripeError(f"Not a valid URL: {name}", code="url_invalid", param=name)
    return value


def integer_param(params: dict[str, Any], name: str, *, param: str | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (dict, list)):
            raise ValueError
        return int(str(value))
    except ValueError:
        raise StripeError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param or name) from None


def metadata_param(raw: Any, param: str) -> dict[str, str]:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict):
        raise StripeError("Invalid object", param=param)
    if len(raw) > 50:
        raise StripeError("Metadata can have at most 50 keys.", param=param)
    result = {}
    for key, value in raw.items():
        if not isinstance(value, str):
            raise StripeError(f"Invalid metadata value for {key!r}: must be a string.", param=f"{param}[{key}]")
        if len(key) > 40 or len(value) > 500:
            raise StripeError(
                "Metadata keys are at most 40 and values at most 500 characters.", param=f"{param}[{key}]"
            )
        if value != "":  # an empty value unsets the key
            result[key] = value
    return result


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
