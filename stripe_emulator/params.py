"""Stripe's request parameters as the emulator checks them: which names exist,
what each must hold, and the Stripe-shaped refusal (`StripeError`) when not.

The form encoding itself is decoded in forms.py (this module gets nested values);
the Checkout Session parameters are in session_params.py.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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


def string_param(params: dict[str, Any], name: str, *, param: str | None = None) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        param = param or name
        raise StripeError(f"Invalid string: {param} must be a string.", code="parameter_invalid_string", param=param)
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


def merge_metadata(current: dict[str, str], raw: Any, param: str = "metadata") -> dict[str, str]:
    """Metadata after an update: given keys set, keys given as "" removed, `metadata=""` clears all."""
    if raw == "":
        return {}
    metadata_param(raw, param)  # checks the keys and values
    merged = dict(current)
    for key, value in raw.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def refund_create_options(params: dict[str, Any]) -> tuple[dict[str, str], str | None, int | None]:
    """`(metadata, reason, amount)` of POST /v1/refunds; which charge is refunded is looked up by the caller."""
    for name in params:
        if name not in REFUND_CREATE_PARAMS:
            raise StripeError(f"Received unknown parameter: {name}", param=name)
    metadata = metadata_param(params.get("metadata"), "metadata")
    reason = string_param(params, "reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise StripeError(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason")
    return metadata, reason, integer_param(params, "amount")


def check_known(params: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    """Refuse a parameter name Stripe does not know (a typo fails here as it would in production)."""
    for name in params:
        if name not in allowed:
            param = f"{prefix}{name}]" if prefix.endswith("[") else f"{prefix}{name}"
            raise StripeError(f"Received unknown parameter: {param}", param=param)


def bool_param(params: dict[str, Any], name: str, *, param: str | None = None) -> bool | None:
    """`true`/`false` as the form encoding sends booleans; None when absent."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise StripeError(f"Invalid boolean: {value}", code="parameter_invalid_boolean", param=param or name)


def enum_param(params: dict[str, Any], name: str, choices: tuple[str, ...], *, param: str | None = None) -> str | None:
    value = string_param(params, name, param=param)
    if value is not None and value not in choices:
        raise StripeError(
            f"Invalid {param or name}: must be one of {', '.join(choices)}",
            code="parameter_invalid_string",
            param=param or name,
        )
    return value


def object_param(params: dict[str, Any], name: str, *, param: str | None = None) -> dict[str, Any]:
    """A nested object parameter (`name[key]=...`), {} when absent."""
    value = params.get(name)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise StripeError("Invalid object", param=param or name)
    return value


def required(value: Any, param: str) -> Any:
    if value is None:
        raise StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)
    return value


def list_limit(filters: dict[str, Any]) -> int:
    """The `limit` of a list request: 10 unless given, within 1..100."""
    return min(max(integer_param(filters, "limit") or 10, 1), 100)
