"""The arithmetic of a Checkout Session's totals: discount, shipping and tax, line by line.

amount_total = amount_subtotal - discount + shipping + tax. A coupon applies to the line items,
never to shipping (as Stripe's do): `percent_off` is taken off each line and rounded half-up;
`amount_off` (capped at the subtotal) is spread over the lines in proportion to their amounts,
the cents left over going to the largest lines first. Tax is charged per line on the line's
amount after its discount, and on shipping when it is taxable (see tax.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .tax import round_half_up, tax_on


def line_discounts(amounts: list[int], coupon: dict[str, Any] | None) -> list[int]:
    """What `coupon` takes off each line amount."""
    if not coupon:
        return [0] * len(amounts)
    if coupon.get("percent_off") is not None:
        percent = Decimal(str(coupon["percent_off"]))
        return [min(amount, round_half_up(Decimal(amount) * percent / 100)) for amount in amounts]
    subtotal = sum(amounts)
    off = min(int(coupon.get("amount_off") or 0), subtotal)
    if off <= 0 or subtotal <= 0:
        return [0] * len(amounts)
    shares = [off * amount // subtotal for amount in amounts]
    left = off - sum(shares)
    for index in sorted(range(len(amounts)), key=lambda i: amounts[i], reverse=True)[:left]:
        shares[index] += 1
    return shares


def totals(
    amounts: list[int],
    *,
    coupon: dict[str, Any] | None = None,
    shipping: int = 0,
    shipping_taxable: bool = True,
    percentage: Decimal | None = None,
) -> dict[str, Any]:
    """Every amount of a session (or invoice) from its line amounts.

    `percentage` is the tax rate in percent, or None when tax is not computed.
    """
    discounts = line_discounts(amounts, coupon)
    taxable = [amount - discount for amount, discount in zip(amounts, discounts, strict=True)]
    line_taxes = [tax_on(amount, percentage) for amount in taxable] if percentage is not None else [0] * len(amounts)
    shipping_tax = tax_on(shipping, percentage) if percentage is not None and shipping_taxable else 0
    subtotal = sum(amounts)
    discount = sum(discounts)
    tax = sum(line_taxes) + shipping_tax
    return {
        "line_discounts": discounts,
        "line_taxes": line_taxes,
        "subtotal": subtotal,
        "discount": discount,
        "shipping": shipping,
        "shipping_tax": shipping_tax,
        "tax": tax,
        "taxable_amount": sum(taxable) + (shipping if shipping_taxable else 0),
        "total": subtotal - discount + shipping + tax,
    }
