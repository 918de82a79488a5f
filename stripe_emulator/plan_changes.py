"""Switching a subscription's price (`items[0][id]` + `items[0][price]`), with prorations.

Within the same interval the billing period stays: `create_prorations` (the default) adds a credit
for the unused time on the old price and a charge for the rest of the period on the new one to the
next renewal invoice; `always_invoice` bills those two lines now; `none` just switches. A switch to
another interval (monthly to yearly) starts a new period now and bills it at once, less the credit.
Prorations are by the second, rounded half-up. During a trial nothing is prorated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from .billing_objects import invoice_line_object
from .catalog_objects import plan_object
from .events import Events
from .objects import clone, new_id
from .params import StripeError
from .periods import add_interval
from .tax import round_half_up


class PlanChanges(Events):
    """The price switches of POST /v1/subscriptions/<id> and of the portal."""

    def _change_items(
        self, subscription: dict[str, Any], changes: list[dict[str, Any]], proration: str
    ) -> dict[str, Any] | None:
        """Switch the items' prices; returns what to bill now (`{"lines", "period"}`) or None."""
        now = self.now()
        lines: list[dict[str, Any]] = []
        new_period = None
        for index, change in enumerate(changes):
            item = self._item_to_change(subscription, change, index)
            price = self._price_for_switch(subscription, change, index) if change["price"] else item["price"]
            quantity = change["quantity"] or item["quantity"]
            old, new = item["price"]["recurring"], price["recurring"]
            same_interval = (old["interval"], old["interval_count"]) == (new["interval"], new["interval_count"])
            if not same_interval and len(subscription["items"]["data"]) > 1:
                raise StripeError("The emulator switches intervals on single-item subscriptions only.", param="items")
            trialing = subscription["status"] == "trialing"
            if proration != "none" and not trialing:
                lines.append(self._proration(subscription, item, item["price"], item["quantity"], credit=True))
            if same_interval and proration != "none" and not trialing:
                lines.append(self._proration(subscription, item, price, quantity, credit=False))
            item.update(price=clone(price), plan=plan_object(price), quantity=quantity)
            if not same_interval and not trialing:
                new_period = (now, add_interval(now, new["interval"], new["interval_count"], anchor=now))
        if new_period is not None:
            for item in subscription["items"]["data"]:
                item.update(current_period_start=new_period[0], current_period_end=new_period[1])
            subscription["billing_cycle_anchor"] = now
            if subscription["cancel_at_period_end"]:
                subscription["cancel_at"] = new_period[1]
            return {"lines": lines + self._period_lines(subscription, new_period), "period": (now, now)}
        if not lines:
            return None
        if proration == "always_invoice":
            return {"lines": lines, "period": (now, now)}
        self._billing_state(subscription["id"]).setdefault("pending", []).extend(lines)
        return None

    def _item_to_change(self, subscription: dict[str, Any], change: dict[str, Any], index: int) -> dict[str, Any]:
        for item in subscription["items"]["data"]:
            if item["id"] == change["id"]:
                return item
        if change["id"] is None:
            raise StripeError(
                "The emulator changes existing items only: pass items[n][id].", param=f"items[{index}][id]"
            )
        raise StripeError(
            f"No such subscription item: '{change['id']}'", code="resource_missing", param=f"items[{index}][id]"
        )

    def _price_for_switch(self, subscription: dict[str, Any], change: dict[str, Any], index: int) -> dict[str, Any]:
        price = self.prices.get(change["price"])
        param = f"items[{index}][price]"
        if price is None:
            raise StripeError(f"No such price: '{change['price']}'", code="resource_missing", param=param)
        if not price["active"]:
            raise StripeError(f"The price {price['id']} is inactive (archived).", param=param)
        if not price["recurring"]:
            raise StripeError("A subscription item needs a recurring price.", param=param)
        if price["currency"] != subscription["currency"]:
            raise StripeError("The new price must be in the subscription's currency.", param=param)
        return price

    def _proration(
        self, subscription: dict[str, Any], item: dict[str, Any], price: dict[str, Any], quantity: int, *, credit: bool
    ) -> dict[str, Any]:
        now = self.now()
        start, end = item["current_period_start"], item["current_period_end"]
        fraction = Decimal(max(end - now, 0)) / Decimal(max(end - start, 1))
        amount = round_half_up(Decimal(price["unit_amount"] * quantity) * fraction)
        product = (self.products.get(price["product"]) or {}).get("name") or price["product"]
        since = datetime.fromtimestamp(now, UTC).strftime("%d %b %Y")
        line = invoice_line_object(
            new_id("il_"),
            invoice_id=None,
            subscription=subscription,
            item_id=item["id"],
            price=price,
            quantity=quantity,
            amount=-amount if credit else amount,
            period=(now, end),
            description=f"{'Unused' if credit else 'Remaining'} time on {quantity} × {product} after {since}",
            proration=True,
        )
        return line

    def _bill_change(self, subscription: dict[str, Any], bill: dict[str, Any]) -> None:
        """Invoice a switch now; a declined card leaves the subscription past_due, retried on schedule."""
        lines = bill["lines"]
        _, paid = self._bill(
            subscription,
            lines,
            billing_reason="subscription_update",
            period=bill["period"],
            discounts=self._discount_amounts(subscription, lines),
        )
        if not paid:
            self._set_status(subscription, "past_due")
