"""The parameters of POST /v1/coupons and /v1/promotion_codes (create and update), checked as Stripe does.

At the pinned API version a promotion code names its coupon as `promotion[type]=coupon` and
`promotion[coupon]=<id>`; the older top-level `coupon` parameter is refused as unknown.
"""

from __future__ import annotations

import re
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

CODE = re.compile(r"^[A-Za-z0-9]{1,500}$")
COUPON_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
COUPON_CREATE_PARAMS = frozenset(
    {
        "amount_off",
        "applies_to",
        "currency",
        "currency_options",
        "duration",
        "duration_in_months",
        "expand",
        "id",
        "max_redemptions",
        "metadata",
        "name",
        "percent_off",
        "redeem_by",
    }
)
COUPON_UPDATE_PARAMS = frozenset({"currency_options", "expand", "metadata", "name"})
PROMOTION_CODE_CREATE_PARAMS = frozenset(
    {
        "active",
        "code",
        "customer",
        "customer_account",
        "expand",
        "expires_at",
        "max_redemptions",
        "metadata",
        "promotion",
        "restrictions",
    }
)
PROMOTION_CODE_UPDATE_PARAMS = frozenset({"active", "expand", "metadata", "restrictions"})
RESTRICTION_PARAMS = frozenset(
    {"currency_options", "first_time_transaction", "minimum_amount", "minimum_amount_currency"}
)


def _percent_off(params: dict[str, Any]) -> float | None:
    value = params.get("percent_off")
    if value is None or value == "":
        return None
    try:
        percent = float(str(value))
    except ValueError:
        raise StripeError(f"Invalid decimal: {value}", param="percent_off") from None
    if not 0 < percent <= 100:
        raise StripeError("percent_off must be greater than 0 and at most 100.", param="percent_off")
    return int(percent) if percent.is_integer() else percent


def coupon_create_options(params: dict[str, Any], now: int) -> dict[str, Any]:
    check_known(params, COUPON_CREATE_PARAMS)
    if params.get("applies_to"):
        raise StripeError("The emulator's coupons apply to every product (no applies_to).", param="applies_to")
    percent_off = _percent_off(params)
    amount_off = integer_param(params, "amount_off")
    currency = string_param(params, "currency")
    if (percent_off is None) == (amount_off is None):
        raise StripeError("You must pass exactly one of percent_off and amount_off.", param="percent_off")
    if amount_off is not None and amount_off <= 0:
        raise StripeError("amount_off must be a positive integer.", param="amount_off")
    if amount_off is not None and currency is None:
        raise StripeError("You must pass currency when passing amount_off.", code="parameter_missing", param="currency")
    duration = enum_param(params, "duration", ("forever", "once", "repeating")) or "once"
    months = integer_param(params, "duration_in_months")
    if (duration == "repeating") != (months is not None):
        raise StripeError(
            "duration_in_months is required with, and only allowed with, duration=repeating.",
            param="duration_in_months",
        )
    if months is not None and months < 1:
        raise StripeError("duration_in_months must be at least 1.", param="duration_in_months")
    return {
        "id": _coupon_id(params),
        "percent_off": percent_off,
        "amount_off": amount_off,
        "currency": currency.lower() if currency else None,
        "duration": duration,
        "duration_in_months": months,
        "max_redemptions": _positive(params, "max_redemptions"),
        "redeem_by": _future(params, "redeem_by", now),
        "name": _name(params),
        "metadata": metadata_param(params.get("metadata"), "metadata"),
    }


def _coupon_id(params: dict[str, Any]) -> str | None:
    coupon_id = string_param(params, "id")
    if coupon_id is not None and not COUPON_ID.match(coupon_id):
        raise StripeError(f"Invalid coupon id: {coupon_id!r}", param="id")
    return coupon_id


def _name(params: dict[str, Any]) -> str | None:
    name = string_param(params, "name")
    if name is not None and len(name) > 40:
        raise StripeError("name must be at most 40 characters.", code="parameter_invalid_string_too_long", param="name")
    return name


def _positive(params: dict[str, Any], name: str, param: str | None = None) -> int | None:
    value = integer_param(params, name, param=param)
    if value is not None and value < 1:
        raise StripeError(f"{param or name} must be a positive integer.", param=param or name)
    return value


def _future(params: dict[str, Any], name: str, now: int) -> int | None:
    value = integer_param(params, name)
    if value is not None and value <= now:
        raise StripeError(f"{name} must be in the future.", param=name)
    return value


def coupon_update_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, COUPON_UPDATE_PARAMS)
    changes: dict[str, Any] = {}
    if "name" in params:
        changes["name"] = _name(params)
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        changes["metadata"] = params["metadata"]  # merged by the caller (params.merge_metadata)
    return changes


def _restrictions(params: dict[str, Any]) -> dict[str, Any]:
    restrictions = object_param(params, "restrictions")
    check_known(restrictions, RESTRICTION_PARAMS, "restrictions[")
    minimum = integer_param(restrictions, "minimum_amount", param="restrictions[minimum_amount]")
    minimum_currency = string_param(
        restrictions, "minimum_amount_currency", param="restrictions[minimum_amount_currency]"
    )
    if (minimum is None) != (minimum_currency is None):
        raise StripeError(
            "restrictions[minimum_amount] and restrictions[minimum_amount_currency] go together.",
            param="restrictions[minimum_amount_currency]",
        )
    first_time = bool_param(restrictions, "first_time_transaction", param="restrictions[first_time_transaction]")
    return {
        "first_time_transaction": bool(first_time),
        "minimum_amount": minimum,
        "minimum_amount_currency": minimum_currency.lower() if minimum_currency else None,
    }


def promotion_code_create_options(params: dict[str, Any], now: int) -> dict[str, Any]:
    check_known(params, PROMOTION_CODE_CREATE_PARAMS)
    promotion = object_param(params, "promotion")
    check_known(promotion, frozenset({"coupon", "type"}), "promotion[")
    kind = required(enum_param(promotion, "type", ("coupon",), param="promotion[type]"), "promotion[type]")
    coupon = required(string_param(promotion, "coupon", param="promotion[coupon]"), "promotion[coupon]")
    code = string_param(params, "code")
    if code is not None and not CODE.match(code):
        raise StripeError(
            "A promotion code may contain only letters and digits (at most 500).",
            code="parameter_invalid_string",
            param="code",
        )
    active = bool_param(params, "active")
    return {
        "type": kind,
        "coupon": coupon,
        "code": code,
        "active": True if active is None else active,
        "customer": string_param(params, "customer"),
        "expires_at": _future(params, "expires_at", now),
        "max_redemptions": _positive(params, "max_redemptions"),
        "metadata": metadata_param(params.get("metadata"), "metadata"),
        **_restrictions(params),
    }


def promotion_code_update_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, PROMOTION_CODE_UPDATE_PARAMS)
    check_known(object_param(params, "restrictions"), frozenset({"currency_options"}), "restrictions[")
    changes: dict[str, Any] = {}
    active = bool_param(params, "active")
    if active is not None:
        changes["active"] = active
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        changes["metadata"] = params["metadata"]  # merged by the caller (params.merge_metadata)
    return changes
