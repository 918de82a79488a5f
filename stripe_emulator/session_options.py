"""The optional parts of POST /v1/checkout/sessions: shipping options, discounts, automatic tax,
consent collection, recovery after expiration, subscription data and the UI mode.

Each function checks one parameter the way Stripe does and returns plain values for sessions.py.
"""

from __future__ import annotations

from typing import Any

from .params import (
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

MAX_SHIPPING_OPTIONS = 5
ESTIMATE_UNITS = ("business_day", "day", "hour", "month", "week")
TAX_BEHAVIORS = ("exclusive", "inclusive", "unspecified")
SHIPPING_RATE_DATA_PARAMS = frozenset(
    {"delivery_estimate", "display_name", "fixed_amount", "metadata", "tax_behavior", "tax_code", "type"}
)
SUBSCRIPTION_DATA_PARAMS = frozenset(
    {
        "application_fee_percent",
        "billing_cycle_anchor",
        "billing_cycle_anchor_config",
        "billing_mode",
        "default_tax_rates",
        "description",
        "invoice_settings",
        "metadata",
        "on_behalf_of",
        "pending_invoice_item_interval",
        "proration_behavior",
        "transfer_data",
        "trial_end",
        "trial_period_days",
        "trial_settings",
    }
)


def _estimate_bound(raw: dict[str, Any], name: str, param: str) -> dict[str, Any] | None:
    bound = object_param(raw, name, param=f"{param}[{name}]")
    if not bound:
        return None
    unit = required(enum_param(bound, "unit", ESTIMATE_UNITS, param=f"{param}[{name}][unit]"), f"{param}[{name}][unit]")
    value = required(integer_param(bound, "value", param=f"{param}[{name}][value]"), f"{param}[{name}][value]")
    if value <= 0:
        raise StripeError("The delivery estimate must be positive.", param=f"{param}[{name}][value]")
    return {"unit": unit, "value": value}


def shipping_rate_data_param(raw: Any, currency: str, param: str) -> dict[str, Any]:
    """Checked inline `shipping_rate_data` (a fixed amount in the session's currency)."""
    if not isinstance(raw, dict):
        raise StripeError("Invalid object", param=param)
    check_known(raw, SHIPPING_RATE_DATA_PARAMS, f"{param}[")
    name = required(string_param(raw, "display_name", param=f"{param}[display_name]"), f"{param}[display_name]")
    if (raw.get("type") or "fixed_amount") != "fixed_amount":
        raise StripeError("Invalid type: must be fixed_amount", param=f"{param}[type]")
    fixed = object_param(raw, "fixed_amount", param=f"{param}[fixed_amount]")
    amount = required(integer_param(fixed, "amount", param=f"{param}[fixed_amount][amount]"), f"{param}[fixed_amount]")
    rate_currency = required(string_param(fixed, "currency"), f"{param}[fixed_amount][currency]").lower()
    if amount < 0:
        raise StripeError("The shipping amount cannot be negative.", param=f"{param}[fixed_amount][amount]")
    if rate_currency != currency:
        raise StripeError(
            f"The shipping rate's currency ({rate_currency}) must match the session's ({currency}).",
            param=f"{param}[fixed_amount][currency]",
        )
    estimate = object_param(raw, "delivery_estimate", param=f"{param}[delivery_estimate]")
    return {
        "display_name": name,
        "amount": amount,
        "currency": rate_currency,
        "tax_behavior": enum_param(raw, "tax_behavior", TAX_BEHAVIORS, param=f"{param}[tax_behavior]") or "unspecified",
        "tax_code": string_param(raw, "tax_code", param=f"{param}[tax_code]"),
        "metadata": metadata_param(raw.get("metadata"), f"{param}[metadata]"),
        "delivery_estimate": (
            {
                "maximum": _estimate_bound(estimate, "maximum", f"{param}[delivery_estimate]"),
                "minimum": _estimate_bound(estimate, "minimum", f"{param}[delivery_estimate]"),
            }
            if estimate
            else None
        ),
    }


def shipping_options_param(raw: Any, currency: str) -> list[dict[str, Any]]:
    """Each option as `{"shipping_rate": "shr_..."}` (an existing rate) or `{"data": {...}}` (inline)."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise StripeError("Invalid array", param="shipping_options")
    if len(raw) > MAX_SHIPPING_OPTIONS:
        raise StripeError(f"You can specify at most {MAX_SHIPPING_OPTIONS} shipping options.", param="shipping_options")
    options = []
    for index, option in enumerate(raw):
        param = f"shipping_options[{index}]"
        if not isinstance(option, dict):
            raise StripeError("Invalid object", param=param)
        check_known(option, frozenset({"shipping_rate", "shipping_rate_data"}), f"{param}[")
        if ("shipping_rate" in option) == ("shipping_rate_data" in option):
            raise StripeError(
                f"Specify exactly one of {param}[shipping_rate] or {param}[shipping_rate_data].", param=param
            )
        if "shipping_rate" in option:
            options.append({"shipping_rate": string_param(option, "shipping_rate", param=f"{param}[shipping_rate]")})
        else:
            options.append({"data": shipping_rate_data_param(option["shipping_rate_data"], currency, param)})
    return options


def discounts_param(raw: Any, allow_promotion_codes: bool | None) -> dict[str, str] | None:
    """The one discount of `discounts=[{coupon | promotion_code}]`, or None."""
    if raw is None or raw == "" or raw == []:
        return None
    if not isinstance(raw, list) or not all(isinstance(d, dict) for d in raw):
        raise StripeError("Invalid array", param="discounts")
    if len(raw) > 1:
        raise StripeError("Only one discount can be applied to a Checkout Session.", param="discounts")
    if allow_promotion_codes:
        raise StripeError(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.", param="discounts"
        )
    check_known(raw[0], frozenset({"coupon", "promotion_code"}), "discounts[0][")
    coupon = string_param(raw[0], "coupon", param="discounts[0][coupon]")
    promotion_code = string_param(raw[0], "promotion_code", param="discounts[0][promotion_code]")
    if (coupon is None) == (promotion_code is None):
        raise StripeError("Specify one of discounts[0][coupon] or discounts[0][promotion_code].", param="discounts[0]")
    return {"coupon": coupon} if coupon else {"promotion_code": promotion_code or ""}


def automatic_tax_param(raw: Any) -> bool:
    tax = object_param({"automatic_tax": raw}, "automatic_tax")
    if not tax:
        return False
    check_known(tax, frozenset({"enabled", "liability"}), "automatic_tax[")
    return bool(required(bool_param(tax, "enabled", param="automatic_tax[enabled]"), "automatic_tax[enabled]"))


def consent_collection_param(raw: Any) -> dict[str, Any] | None:
    consent = object_param({"consent_collection": raw}, "consent_collection")
    if not consent:
        return None
    check_known(
        consent, frozenset({"payment_method_reuse_agreement", "promotions", "terms_of_service"}), "consent_collection["
    )
    reuse = object_param(
        consent, "payment_method_reuse_agreement", param="consent_collection[payment_method_reuse_agreement]"
    )
    return {
        "payment_method_reuse_agreement": (
            {"position": enum_param(reuse, "position", ("auto", "hidden")) or "auto"} if reuse else None
        ),
        "promotions": enum_param(consent, "promotions", ("auto", "none"), param="consent_collection[promotions]"),
        "terms_of_service": enum_param(
            consent, "terms_of_service", ("none", "required"), param="consent_collection[terms_of_service]"
        ),
    }


def after_expiration_param(raw: Any) -> dict[str, Any] | None:
    after = object_param({"after_expiration": raw}, "after_expiration")
    if not after:
        return None
    check_known(after, frozenset({"recovery"}), "after_expiration[")
    recovery = object_param(after, "recovery", param="after_expiration[recovery]")
    check_known(recovery, frozenset({"allow_promotion_codes", "enabled"}), "after_expiration[recovery][")
    enabled = required(
        bool_param(recovery, "enabled", param="after_expiration[recovery][enabled]"),
        "after_expiration[recovery][enabled]",
    )
    allow = bool_param(recovery, "allow_promotion_codes", param="after_expiration[recovery][allow_promotion_codes]")
    return {"recovery": {"allow_promotion_codes": bool(allow), "enabled": enabled, "expires_at": None, "url": None}}


def subscription_data_param(raw: Any, now: int) -> dict[str, Any]:
    """`{"trial_end": int | None, "metadata": {...}, "description": str | None}` of subscription_data."""
    data = object_param({"subscription_data": raw}, "subscription_data")
    check_known(data, SUBSCRIPTION_DATA_PARAMS, "subscription_data[")
    days = integer_param(data, "trial_period_days", param="subscription_data[trial_period_days]")
    trial_end = integer_param(data, "trial_end", param="subscription_data[trial_end]")
    if days is not None and trial_end is not None:
        raise StripeError(
            "You may only specify one of subscription_data[trial_end] and subscription_data[trial_period_days].",
            param="subscription_data[trial_end]",
        )
    if days is not None and not 1 <= days <= 730:
        raise StripeError(
            "subscription_data[trial_period_days] must be between 1 and 730.",
            param="subscription_data[trial_period_days]",
        )
    if trial_end is not None and trial_end <= now:
        raise StripeError("subscription_data[trial_end] must be in the future.", param="subscription_data[trial_end]")
    return {
        "trial_end": now + days * 86400 if days is not None else trial_end,
        "metadata": metadata_param(data.get("metadata"), "subscription_data[metadata]"),
        "description": string_param(data, "description", param="subscription_data[description]"),
    }


def ui_mode_param(params: dict[str, Any]) -> str:
    mode = string_param(params, "ui_mode")
    if mode in (None, "hosted_page"):
        return "hosted_page"
    if mode in ("elements", "embedded_page", "form"):
        raise StripeError(f"The emulator serves ui_mode=hosted_page only, not {mode!r}.", param="ui_mode")
    raise StripeError(
        f"Invalid ui_mode: must be one of elements, embedded_page, form or hosted_page (not {mode!r}).",
        code="parameter_invalid_string",
        param="ui_mode",
    )
