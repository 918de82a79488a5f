"""What Stripe settled for an order: a paid Checkout Session's amounts checked against our snapshot, then
recorded on the order (issue 12).

Stripe computes the discount (the promotion code typed on its page), the shipping (the option picked) and
the tax (Stripe Tax); we keep the product prices. Prices and shipping go to Stripe tax-exclusive, so a session
is accepted when its currency and `amount_subtotal` are our order's and its amounts add up:
`amount_total = amount_subtotal − discount + shipping + tax` (`total_details`). Anything else is flagged
for staff, not paid (shop.fulfilment).
"""

from dataclasses import dataclass

from django.db.models import Subquery

from payments.client import as_dict, get_stripe_client, id_of
from payments.money import from_minor_units, to_minor_units
from shop.display import format_money
from shop.models import Order, PromotionCode, ShippingRate
from shop.models.pricing import delivery_estimate


@dataclass(frozen=True)
class Settled:
    """A session's amounts in minor units, each a non-negative whole number."""

    currency: str
    subtotal: int
    discount: int
    shipping: int
    shipping_tax: int
    tax: int
    total: int

    @property
    def adds_up(self) -> bool:
        return self.total == self.subtotal - self.discount + self.shipping + self.tax


def _count(value) -> int | None:
    """A Stripe amount: a whole number of minor units (never a bool, a string or a negative)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def settled_amounts(session: dict) -> Settled | None:
    """The session's amounts, or None when one is missing or not an amount (Stripe always sends them)."""
    details, shipping_cost = session.get("total_details"), session.get("shipping_cost")
    if any(part is not None and not isinstance(part, dict) for part in (details, shipping_cost)):
        return None
    details, shipping_cost = _dict(details), _dict(shipping_cost)
    amounts = {
        "subtotal": _count(session.get("amount_subtotal")),
        "discount": _count(details.get("amount_discount", 0)),
        "shipping": _count(details.get("amount_shipping", 0)),
        "shipping_tax": _count(shipping_cost.get("amount_tax", 0)),
        "tax": _count(details.get("amount_tax", 0)),
        "total": _count(session.get("amount_total")),
    }
    currency = session.get("currency")
    if not isinstance(currency, str) or any(value is None for value in amounts.values()):
        return None
    return Settled(currency=currency.lower(), **amounts)


def _shown(value, currency: str) -> str:
    amount = _count(value)
    return format_money(from_minor_units(amount, currency), currency) if amount is not None else repr(value)[:40]


def settlement_problem(order: Order, session: dict) -> str | None:
    """Why this paid session cannot pay `order` (a sentence for staff), or None when it can."""
    settled = settled_amounts(session)
    currency = str(session.get("currency") or order.currency)[:3]
    paid = _shown(session.get("amount_total"), currency)
    if settled is None:
        return f"Stripe reports {paid} paid, in amounts that cannot be read: not marked paid."
    if settled.currency != order.currency.lower():
        return f"Stripe reports {paid} paid but the order is in {order.currency}: not marked paid."
    if settled.subtotal != to_minor_units(order.subtotal, order.currency):
        subtotal = _shown(settled.subtotal, currency)
        return (
            f"Stripe reports {paid} paid for products of {subtotal}, but the order's products come to "
            f"{format_money(order.subtotal, order.currency)}: not marked paid."
        )
    if not settled.adds_up:
        parts = ", ".join(
            f"{name} {_shown(getattr(settled, name), currency)}" for name in ("subtotal", "discount", "shipping", "tax")
        )
        return f"Stripe reports {paid} paid, which its own amounts ({parts}) do not add up to: not marked paid."
    return None


def _promotion_code(session: dict) -> tuple[PromotionCode | None, str]:
    """Our promotion code the session's discount names (by its Stripe id), and the code the customer typed.
    A code made elsewhere (the Stripe dashboard) is asked of Stripe; a StripeError leaves the event failed
    and retried rather than an order recorded without its code."""
    discounts = session.get("discounts") if isinstance(session.get("discounts"), list) else []
    for discount in discounts:
        stripe_id = id_of(_dict(discount).get("promotion_code"))
        if not stripe_id:
            continue
        ours = PromotionCode.objects.filter(stripe_promotion_code_id=stripe_id).first()
        if ours is not None:
            return ours, ours.code
        code = as_dict(get_stripe_client().v1.promotion_codes.retrieve(stripe_id)).get("code")
        return None, code if isinstance(code, str) else stripe_id
    return None, ""


def _chosen_rate(order: Order, session: dict) -> dict | None:
    """The offered rate the session's shipping names, as the order's copy has it; asked of Stripe when the copy
    does not know it (a session made before the copy kept Stripe's ids)."""
    stripe_id = id_of(_dict(session.get("shipping_cost")).get("shipping_rate"))
    if not stripe_id:
        return None
    for option in order.shipping_options if isinstance(order.shipping_options, list) else []:
        if isinstance(option, dict) and option.get("stripe_id") == stripe_id:
            return option
    rate = as_dict(get_stripe_client().v1.shipping_rates.retrieve(stripe_id))
    estimate = _dict(rate.get("delivery_estimate"))
    low, high = (_dict(estimate.get(bound)).get("value") for bound in ("minimum", "maximum"))
    rate_id = str(_dict(rate.get("metadata")).get("shipping_rate_id") or "")
    return {
        "rate_id": int(rate_id) if rate_id.isdigit() else None,
        "name": str(rate.get("display_name") or ""),
        "delivery_estimate": delivery_estimate(_count(low), _count(high)),
    }


def record_settlement(order: Order, session: dict) -> list[str]:
    """Set on the (locked) order what Stripe settled: discount, shipping, tax, total, the code typed and the
    rate chosen; the fields set, for the caller's one save (`transition_order(…, also_save=…)`). Call only after
    `settlement_problem` found none."""
    settled = settled_amounts(session)
    if settled is None:  # settlement_problem said so first
        return []
    money = {name: from_minor_units(getattr(settled, name), order.currency) for name in ("discount", "shipping")}
    order.discount_total, order.shipping_total = money["discount"], money["shipping"]
    order.tax_total = from_minor_units(settled.tax, order.currency)
    order.shipping_tax = from_minor_units(settled.shipping_tax, order.currency)
    order.total = from_minor_units(settled.total, order.currency)
    order.promotion, order.promotion_code = _promotion_code(session)
    rate = _chosen_rate(order, session)
    rate_id = rate.get("rate_id") if rate else None
    # The rate itself, when it still exists, in the order's own UPDATE (no SELECT of its own): staff may have
    # deleted it since the checkout.
    order.shipping_rate_id = Subquery(ShippingRate.objects.filter(pk=rate_id).values("pk")) if rate_id else None
    order.shipping_rate_name = (rate or {}).get("name", "")[:100]
    order.shipping_rate_amount = order.shipping_total if rate else None
    order.shipping_delivery_estimate = (rate or {}).get("delivery_estimate", "")[:100]
    return list(SETTLED_FIELDS)


SETTLED_FIELDS = [
    "discount_total",
    "shipping_total",
    "tax_total",
    "shipping_tax",
    "total",
    "promotion",
    "promotion_code",
    "shipping_rate",
    "shipping_rate_name",
    "shipping_rate_amount",
    "shipping_delivery_estimate",
    "updated_at",
]
