"""Stripe-shaped Billing objects at the pinned API version: subscriptions and their items,
invoices and their lines, invoice payments, and the customer portal's configurations and sessions.

At this version the billing period lives on each subscription item (`current_period_start/end`),
not on the subscription (2025-03-31.basil); an invoice names its subscription under
`parent.subscription_details.subscription` and its payments are InvoicePayment objects (found with
GET /v1/invoice_payments?invoice=...), not `invoice.payment_intent`; new subscriptions use the
flexible billing mode (2025-09-30.clover).
"""

from __future__ import annotations

from typing import Any

from .catalog_objects import plan_object
from .objects import clone


def subscription_item_object(
    item_id: str, subscription_id: str, price: dict[str, Any], quantity: int, *, start: int, end: int, created: int
) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": plan_object(price),
        "price": clone(price),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


# Every new subscription; subscription_object fills in ids, times, items and the given fields.
_NEW_SUBSCRIPTION: dict[str, Any] = {
    "application": None,
    "application_fee_percent": None,
    "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
    "billing_cycle_anchor_config": None,
    "billing_schedules": [],
    "billing_thresholds": None,
    "cancel_at": None,
    "cancel_at_period_end": False,
    "canceled_at": None,
    "cancellation_details": {"comment": None, "feedback": None, "reason": None},
    "collection_method": "charge_automatically",
    "customer_account": None,
    "days_until_due": None,
    "default_payment_method": None,
    "default_source": None,
    "default_tax_rates": [],
    "description": None,
    "discounts": [],
    "ended_at": None,
    "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
    "latest_invoice": None,
    "livemode": False,
    "metadata": {},
    "next_pending_invoice_item_invoice": None,
    "on_behalf_of": None,
    "pause_collection": None,
    "payment_settings": {
        "payment_method_options": None,
        "payment_method_types": None,
        "save_default_payment_method": "off",
    },
    "pending_invoice_item_interval": None,
    "pending_setup_intent": None,
    "pending_update": None,
    "schedule": None,
    "status": "incomplete",
    "test_clock": None,
    "transfer_data": None,
    "trial_end": None,
    "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
    "trial_start": None,
}


def subscription_object(
    subscription_id: str, *, customer: str, currency: str, created: int, items: list[dict[str, Any]], **fields: Any
) -> dict[str, Any]:
    subscription = {"id": subscription_id, "object": "subscription", **clone(_NEW_SUBSCRIPTION)}
    subscription.update(
        billing_cycle_anchor=created,
        billing_mode={"flexible": {"proration_discounts": "included"}, "type": "flexible", "updated_at": created},
        created=created,
        currency=currency,
        customer=customer,
        items={
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        start_date=created,
    )
    subscription.update(fields)
    return dict(sorted(subscription.items(), key=lambda pair: (pair[0] not in ("id", "object"), pair[0])))


def invoice_line_object(
    line_id: str,
    *,
    invoice_id: str | None,
    subscription: dict[str, Any],
    item_id: str,
    price: dict[str, Any],
    quantity: int,
    amount: int,
    period: tuple[int, int],
    description: str,
    proration: bool = False,
) -> dict[str, Any]:
    return {
        "id": line_id,
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription["id"],
                "subscription_item": item_id,
            },
            "type": "subscription_item_details",
        },
        "period": {"end": period[1], "start": period[0]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        },
        "quantity": quantity,
        "subtotal": amount,
        "taxes": [],
    }


# Every new (draft) invoice; invoice_object fills in the rest.
_NEW_INVOICE: dict[str, Any] = {
    "account_country": "US",
    "account_name": "Stripe emulator",
    "account_tax_ids": None,
    "amount_overpaid": 0,
    "amount_paid": 0,
    "amount_shipping": 0,
    "application": None,
    "attempt_count": 0,
    "attempted": False,
    "auto_advance": True,
    "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None},
    "collection_method": "charge_automatically",
    "confirmation_secret": None,
    "custom_fields": None,
    "customer_account": None,
    "customer_shipping": None,
    "customer_tax_exempt": "none",
    "customer_tax_ids": [],
    "default_payment_method": None,
    "default_source": None,
    "default_tax_rates": [],
    "description": None,
    "due_date": None,
    "effective_at": None,
    "ending_balance": None,
    "footer": None,
    "from_invoice": None,
    "hosted_invoice_url": None,
    "invoice_pdf": None,
    "issuer": {"type": "self"},
    "last_finalization_error": None,
    "latest_revision": None,
    "livemode": False,
    "metadata": {},
    "next_payment_attempt": None,
    "number": None,
    "on_behalf_of": None,
    "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
    "post_payment_credit_notes_amount": 0,
    "pre_payment_credit_notes_amount": 0,
    "receipt_number": None,
    "rendering": None,
    "shipping_cost": None,
    "shipping_details": None,
    "starting_balance": 0,
    "statement_descriptor": None,
    "status": "draft",
    "status_details": None,
    "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
    "test_clock": None,
    "total_pretax_credit_amounts": [],
    "total_taxes": [],
}


def invoice_object(
    invoice_id: str | None,
    *,
    customer: dict[str, Any],
    subscription: dict[str, Any],
    lines: list[dict[str, Any]],
    billing_reason: str,
    created: int,
    period: tuple[int, int],
    discounts: list[tuple[str, int]],
) -> dict[str, Any]:
    """A draft invoice; `discounts` are `(discount id, amount)` pairs taken off the subtotal."""
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal - min(sum(amount for _, amount in discounts), max(subtotal, 0))
    invoice = {"id": invoice_id, "object": "invoice", **clone(_NEW_INVOICE)}
    invoice.update(
        amount_due=max(total, 0),
        amount_remaining=max(total, 0),
        automatically_finalizes_at=created + 3600 if billing_reason == "subscription_cycle" else None,
        billing_reason=billing_reason,
        created=created,
        currency=subscription["currency"],
        customer=customer["id"],
        customer_address=clone(customer.get("address")),
        customer_email=customer.get("email"),
        customer_name=customer.get("name"),
        customer_phone=customer.get("phone"),
        discounts=[discount_id for discount_id, _ in discounts],
        lines={
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        parent={
            "quote_details": None,
            "subscription_details": {
                "metadata": clone(subscription["metadata"]),
                "subscription": subscription["id"],
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        },
        period_end=period[1],
        period_start=period[0],
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=total,
        total_discount_amounts=[{"amount": amount, "discount": d} for d, amount in discounts],
        total_excluding_tax=total,
        webhooks_delivered_at=created,
    )
    return dict(sorted(invoice.items(), key=lambda pair: (pair[0] not in ("id", "object"), pair[0])))


def invoice_payment_object(
    payment_id: str, invoice: dict[str, Any], payment_intent: str, *, created: int
) -> dict[str, Any]:
    return {
        "id": payment_id,
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice["amount_due"],
        "created": created,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": payment_intent, "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }


def portal_configuration_object(config_id: str, options: dict[str, Any], *, created: int) -> dict[str, Any]:
    return {
        "id": config_id,
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": options["business_profile"],
        "created": created,
        "default_return_url": options["default_return_url"],
        "features": options["features"],
        "is_default": options["is_default"],
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": options["metadata"],
        "name": options["name"],
        "updated": created,
    }


def portal_session_object(
    session_id: str, *, customer: str, configuration: str, return_url: str | None, url: str, created: int
) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "after_expiration": None,
        "configuration": configuration,
        "created": created,
        "customer": customer,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": url,
    }
