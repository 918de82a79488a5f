"""The parameters of the Billing endpoints: updating and canceling subscriptions, and the
customer portal's configurations and sessions. Parameters Stripe knows but the emulator does not
act on are refused by name (rather than ignored), so a test never passes on a silent no-op.
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
    string_param,
    url_param,
)

SUBSCRIPTION_UPDATE_PARAMS = frozenset(
    {
        "add_invoice_items",
        "application_fee_percent",
        "automatic_tax",
        "billing_cycle_anchor",
        "billing_schedules",
        "billing_thresholds",
        "cancel_at",
        "cancel_at_period_end",
        "cancellation_details",
        "collection_method",
        "days_until_due",
        "default_payment_method",
        "default_source",
        "default_tax_rates",
        "description",
        "discounts",
        "expand",
        "invoice_settings",
        "items",
        "metadata",
        "off_session",
        "on_behalf_of",
        "pause_collection",
        "payment_behavior",
        "payment_settings",
        "pending_invoice_item_interval",
        "proration_behavior",
        "proration_date",
        "transfer_data",
        "trial_end",
        "trial_from_plan",
        "trial_settings",
    }
)
SUBSCRIPTION_UPDATE_ACTED_ON = frozenset(
    {
        "cancel_at",
        "cancel_at_period_end",
        "cancellation_details",
        "default_payment_method",
        "description",
        "expand",
        "items",
        "metadata",
        "off_session",
        "payment_behavior",
        "proration_behavior",
    }
)
PRORATIONS = ("always_invoice", "create_prorations", "none")
FEEDBACK = (
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
SUBSCRIPTION_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)


def cancellation_details_param(params: dict[str, Any]) -> dict[str, Any] | None:
    details = object_param(params, "cancellation_details")
    if not details:
        return None
    check_known(details, frozenset({"comment", "feedback", "feedback_option"}), "cancellation_details[")
    return {
        "comment": string_param(details, "comment", param="cancellation_details[comment]"),
        "feedback": enum_param(details, "feedback", FEEDBACK, param="cancellation_details[feedback]"),
    }


def _items_param(raw: Any) -> list[dict[str, Any]]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise StripeError("Invalid array", param="items")
    items = []
    for index, item in enumerate(raw):
        param = f"items[{index}]"
        if not isinstance(item, dict):
            raise StripeError("Invalid object", param=param)
        check_known(item, frozenset({"id", "price", "quantity", "metadata", "deleted", "discounts"}), f"{param}[")
        if bool_param(item, "deleted", param=f"{param}[deleted]") or item.get("discounts"):
            raise StripeError("The emulator changes an item's price or quantity only.", param=param)
        quantity = integer_param(item, "quantity", param=f"{param}[quantity]")
        if quantity is not None and quantity < 1:
            raise StripeError("Quantity must be at least 1.", param=f"{param}[quantity]")
        items.append(
            {
                "id": string_param(item, "id", param=f"{param}[id]"),
                "price": string_param(item, "price", param=f"{param}[price]"),
                "quantity": quantity,
            }
        )
    return items


def subscription_update_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, SUBSCRIPTION_UPDATE_PARAMS)
    for name in params:
        if name not in SUBSCRIPTION_UPDATE_ACTED_ON:
            raise StripeError(f"The emulator does not support updating {name} of a subscription.", param=name)
    options: dict[str, Any] = {
        "items": _items_param(params.get("items")),
        "proration_behavior": enum_param(params, "proration_behavior", PRORATIONS) or "create_prorations",
        "cancel_at_period_end": bool_param(params, "cancel_at_period_end"),
        "cancellation_details": cancellation_details_param(params),
    }
    if "cancel_at" in params:
        options["cancel_at"] = integer_param(params, "cancel_at")  # "" unsets it
    if "metadata" in params:
        metadata_param(params.get("metadata"), "metadata")
        options["metadata"] = params["metadata"]
    for name in ("description", "default_payment_method"):
        if name in params:
            options[name] = string_param(params, name)
    if options["cancel_at_period_end"] and options.get("cancel_at"):
        raise StripeError(
            "You may only specify one of these parameters: cancel_at, cancel_at_period_end.", param="cancel_at"
        )
    return options


def subscription_cancel_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(params, frozenset({"cancellation_details", "expand", "invoice_now", "prorate"}))
    if bool_param(params, "invoice_now") or bool_param(params, "prorate"):
        raise StripeError("The emulator cancels without a final invoice (no invoice_now or prorate).")
    return {"cancellation_details": cancellation_details_param(params)}


def _portal_features(raw: dict[str, Any]) -> dict[str, Any]:
    check_known(
        raw,
        frozenset(
            {
                "customer_update",
                "invoice_history",
                "payment_method_update",
                "subscription_cancel",
                "subscription_pause",
                "subscription_update",
            }
        ),
        "features[",
    )

    def enabled(name: str) -> bool:
        return bool(bool_param(object_param(raw, name), "enabled", param=f"features[{name}][enabled]"))

    cancel = object_param(raw, "subscription_cancel")
    update = object_param(raw, "subscription_update")
    products = update.get("products") or []
    if not isinstance(products, list):
        raise StripeError("Invalid array", param="features[subscription_update][products]")
    customer_update = object_param(raw, "customer_update")
    return {
        "customer_update": {
            "allowed_updates": list(customer_update.get("allowed_updates") or []),
            "enabled": enabled("customer_update"),
        },
        "invoice_history": {"enabled": enabled("invoice_history")},
        "payment_method_update": {"enabled": enabled("payment_method_update"), "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "feedback_options": None, "options": []},
            "enabled": enabled("subscription_cancel"),
            "mode": enum_param(
                cancel, "mode", ("at_period_end", "immediately"), param="features[subscription_cancel][mode]"
            )
            or "at_period_end",
            "proration_behavior": enum_param(cancel, "proration_behavior", PRORATIONS) or "none",
        },
        "subscription_pause": {"duration": None, "enabled": False},
        "subscription_update": {
            "billing_cycle_anchor": None,
            "default_allowed_updates": list(update.get("default_allowed_updates") or ["price"]),
            "enabled": enabled("subscription_update"),
            "products": [
                {"prices": list(p.get("prices") or []), "product": p.get("product")}
                for p in products
                if isinstance(p, dict)
            ],
            "proration_behavior": enum_param(update, "proration_behavior", PRORATIONS) or "create_prorations",
            "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial",
        },
    }


def portal_configuration_options(params: dict[str, Any], *, create: bool) -> dict[str, Any]:
    allowed = {"business_profile", "default_return_url", "expand", "features", "login_page", "metadata", "name"}
    check_known(params, frozenset(allowed | ({"active"} if not create else set())))
    profile = object_param(params, "business_profile")
    options: dict[str, Any] = {
        "business_profile": {
            "headline": string_param(profile, "headline"),
            "privacy_policy_url": string_param(profile, "privacy_policy_url"),
            "terms_of_service_url": string_param(profile, "terms_of_service_url"),
        },
        "default_return_url": url_param(params, "default_return_url"),
        "metadata": metadata_param(params.get("metadata"), "metadata"),
        "name": string_param(params, "name"),
    }
    if create or "features" in params:
        options["features"] = _portal_features(object_param(params, "features"))
    if not create:
        options = {k: v for k, v in options.items() if k in params}
        if bool_param(params, "active") is not None:
            options["active"] = bool_param(params, "active")
    return options


def portal_session_options(params: dict[str, Any]) -> dict[str, Any]:
    check_known(
        params,
        frozenset(
            {
                "after_expiration",
                "configuration",
                "customer",
                "customer_account",
                "expand",
                "flow_data",
                "locale",
                "on_behalf_of",
                "return_url",
            }
        ),
    )
    if params.get("flow_data"):
        raise StripeError("The emulator's portal opens on its home page (no flow_data).", param="flow_data")
    customer = string_param(params, "customer")
    if customer is None:
        raise StripeError("Missing required param: customer.", code="parameter_missing", param="customer")
    return {
        "customer": customer,
        "configuration": string_param(params, "configuration"),
        "return_url": url_param(params, "return_url"),
    }
