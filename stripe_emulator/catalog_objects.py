"""Stripe-shaped objects of the catalog and of discounts: products, prices (and their plan view),
customers, shipping rates, coupons, promotion codes, discounts and tax rates.

Shapes are those of the pinned API version (what stripe-python 16 types): a promotion code names its
coupon under `promotion: {type: "coupon", coupon}`, a discount under `source: {type, coupon}`.
"""

from __future__ import annotations

from typing import Any

from .objects import new_id
from .tax import Jurisdiction


def product_object(product_id: str, name: str, *, created: int, active: bool = True, **fields: Any) -> dict[str, Any]:
    product = {
        "id": product_id,
        "object": "product",
        "active": active,
        "created": created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }
    product.update(fields)
    return product


def price_object(
    price_id: str,
    *,
    currency: str,
    unit_amount: int,
    product: str,
    created: int,
    recurring: dict[str, Any] | None = None,
    active: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    price = {
        "id": price_id,
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product,
        "recurring": (
            {
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count", 1),
                "meter": None,
                "trial_period_days": recurring.get("trial_period_days"),
                "usage_type": "licensed",
            }
            if recurring
            else None
        ),
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }
    price.update(fields)
    return price


def plan_object(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy `plan` view of a recurring price, as subscription items still carry it."""
    recurring = price["recurring"] or {"interval": "month", "interval_count": 1}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": dict(price["metadata"]),
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": "licensed",
    }


def customer_object(customer_id: str, *, created: int, **fields: Any) -> dict[str, Any]:
    customer = {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "created": created,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    customer.update(fields)
    return customer


def shipping_rate_object(rate_id: str, data: dict[str, Any], *, created: int) -> dict[str, Any]:
    """A ShippingRate from checked `shipping_rate_data` (see session_options.py)."""
    return {
        "id": rate_id,
        "object": "shipping_rate",
        "active": True,
        "created": created,
        "delivery_estimate": data["delivery_estimate"],
        "display_name": data["display_name"],
        "fixed_amount": {"amount": data["amount"], "currency": data["currency"]},
        "livemode": False,
        "metadata": data["metadata"],
        "tax_behavior": data["tax_behavior"],
        "tax_code": data["tax_code"],
        "type": "fixed_amount",
    }


def coupon_object(coupon_id: str, options: dict[str, Any], *, created: int) -> dict[str, Any]:
    return {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": options["amount_off"],
        "applies_to": None,
        "created": created,
        "currency": options["currency"],
        "currency_options": None,
        "duration": options["duration"],
        "duration_in_months": options["duration_in_months"],
        "livemode": False,
        "max_redemptions": options["max_redemptions"],
        "metadata": options["metadata"],
        "name": options["name"],
        "percent_off": options["percent_off"],
        "redeem_by": options["redeem_by"],
        "times_redeemed": 0,
        "valid": True,
    }


def promotion_code_object(promo_id: str, options: dict[str, Any], *, created: int) -> dict[str, Any]:
    return {
        "id": promo_id,
        "object": "promotion_code",
        "active": options["active"],
        "code": options["code"],
        "created": created,
        "customer": options["customer"],
        "customer_account": None,
        "expires_at": options["expires_at"],
        "livemode": False,
        "max_redemptions": options["max_redemptions"],
        "metadata": options["metadata"],
        "promotion": {"coupon": options["coupon"], "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": options["first_time_transaction"],
            "minimum_amount": options["minimum_amount"],
            "minimum_amount_currency": options["minimum_amount_currency"],
        },
        "times_redeemed": 0,
    }


def discount_object(
    coupon: dict[str, Any], promotion_code: str | None, *, start: int, end: int | None = None, **links: Any
) -> dict[str, Any]:
    """A Discount (`di_...`): a coupon applied to a session, customer or subscription."""
    discount = {
        "id": new_id("di_"),
        "object": "discount",
        "checkout_session": None,
        "customer": None,
        "customer_account": None,
        "end": end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promotion_code,
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": start,
        "subscription": None,
        "subscription_item": None,
    }
    discount.update(links)
    return discount


def tax_rate_object(place: Jurisdiction, *, created: int) -> dict[str, Any]:
    """The TaxRate a computed tax names (one per jurisdiction; id stable within an emulator)."""
    return {
        "id": "txr_emu_" + place.key.replace("-", "_"),
        "object": "tax_rate",
        "active": True,
        "country": place.country,
        "created": created,
        "description": None,
        "display_name": place.display_name,
        "effective_percentage": float(place.percentage),
        "flat_amount": None,
        "inclusive": False,
        "jurisdiction": place.key,
        "jurisdiction_level": place.level,
        "livemode": False,
        "metadata": {},
        "percentage": float(place.percentage),
        "rate_type": "percentage",
        "state": place.state,
        "tax_type": place.tax_type,
    }
