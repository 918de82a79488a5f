"""Subscriptions: started by paying a `mode=subscription` Checkout Session, then read, updated
(cancel at period end, resume, metadata; plan switches are in plan_changes.py) and canceled.

Paying the session sends, in this order (what Stripe sends for Checkout, by creation time):
customer.created (a new customer only), customer.subscription.created (status `incomplete`, or
`trialing`), invoice.created, invoice.finalized, invoice.paid, invoice.payment_succeeded,
customer.subscription.updated (`incomplete` -> `active`; not for a trial) and last
checkout.session.completed.
"""

from __future__ import annotations

from typing import Any

from .billing_objects import invoice_line_object, subscription_item_object, subscription_object
from .billing_params import SUBSCRIPTION_STATUSES, subscription_cancel_options, subscription_update_options
from .catalog_objects import discount_object
from .events import Events
from .objects import clone, format_amount, new_id
from .params import StripeError, enum_param, merge_metadata, no_such
from .periods import add_interval
from .pricing import line_discounts
from .store import page_of


class Subscriptions(Events):
    """GET/POST/DELETE /v1/subscriptions, and the subscriptions Checkout starts."""

    def _start_subscription(
        self, session: dict[str, Any], customer_id: str, discount: dict[str, Any] | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The subscription and first invoice of a paid session; `discount` is `{"coupon", "promotion_code"}`."""
        now = self.now()
        data = self._session_private[session["id"]]["options"]["subscription_data"]
        trial_end = data["trial_end"]
        lines = self.line_items[session["id"]]
        recurring = lines[0]["price"]["recurring"]
        end = trial_end or add_interval(now, recurring["interval"], recurring["interval_count"], anchor=now)
        subscription_id = new_id("sub_")
        items = [
            subscription_item_object(
                new_id("si_"), subscription_id, line["price"], line["quantity"], start=now, end=end, created=now
            )
            for line in lines
        ]
        subscription = subscription_object(
            subscription_id,
            customer=customer_id,
            currency=session["currency"],
            created=now,
            items=items,
            status="trialing" if trial_end else "incomplete",
            trial_start=now if trial_end else None,
            trial_end=trial_end,
            billing_cycle_anchor=end if trial_end else now,
            metadata=dict(data["metadata"]),
            description=data["description"],
            default_payment_method=self.card_of(customer_id)["payment_method"],
        )
        self.subscriptions[subscription_id] = subscription
        if discount:
            self._apply_discount(subscription, discount, session_id=session["id"])
        invoice_lines = self._period_lines(subscription, (now, end), trial=bool(trial_end))
        invoice = self._new_invoice(
            subscription,
            invoice_lines,
            billing_reason="subscription_create",
            period=(now, now),
            discounts=self._discount_amounts(subscription, invoice_lines),
            announce=False,
        )
        self.emit("customer.subscription.created", clone(subscription))  # already naming its latest_invoice
        self.emit("invoice.created", clone(invoice))
        self._finalize_invoice(invoice)
        self._attempt_invoice(invoice, succeed=True)  # the card the payer just entered
        self._after_invoice_discounts(subscription)
        if not trial_end:
            self._set_status(subscription, "active")
        return subscription, invoice

    def _apply_discount(self, subscription: dict[str, Any], discount: dict[str, Any], *, session_id: str) -> None:
        coupon = discount["coupon"]
        start = subscription["created"]
        months = coupon["duration_in_months"]
        end = add_interval(start, "month", months) if coupon["duration"] == "repeating" else None
        applied = discount_object(
            coupon,
            discount["promotion_code"],
            start=start,
            end=end,
            checkout_session=session_id,
            customer=subscription["customer"],
            subscription=subscription["id"],
        )
        self.discounts[applied["id"]] = applied
        subscription["discounts"] = [applied["id"]]
        self._billing_state(subscription["id"])["coupons"] = {applied["id"]: clone(coupon)}

    def _discount_amounts(self, subscription: dict[str, Any], lines: list[dict[str, Any]]) -> list[tuple[str, int]]:
        """What each of the subscription's discounts takes off these invoice lines now."""
        coupons = self._billing_state(subscription["id"]).get("coupons", {})
        amounts = [line["amount"] for line in lines if line["discountable"]]
        result = []
        for discount_id in subscription["discounts"]:
            discount = self.discounts.get(discount_id)
            if discount is None or (discount["end"] is not None and discount["end"] <= self.now()):
                continue
            result.append((discount_id, sum(line_discounts(amounts, coupons.get(discount_id)))))
        return result

    def _after_invoice_discounts(self, subscription: dict[str, Any]) -> None:
        """A `once` coupon is used up by the first invoice; an ended `repeating` one goes too."""
        coupons = self._billing_state(subscription["id"]).get("coupons", {})
        kept = []
        for discount_id in subscription["discounts"]:
            discount = self.discounts.get(discount_id) or {}
            coupon = coupons.get(discount_id) or {}
            ended = discount.get("end") is not None and discount["end"] <= self.now()
            if coupon.get("duration") != "once" and not ended:
                kept.append(discount_id)
        subscription["discounts"] = kept

    def _period_lines(
        self, subscription: dict[str, Any], period: tuple[int, int], *, trial: bool = False
    ) -> list[dict[str, Any]]:
        lines = []
        for item in subscription["items"]["data"]:
            price, quantity = item["price"], item["quantity"]
            product = (self.products.get(price["product"]) or {}).get("name") or price["product"]
            recurring = price["recurring"] or {"interval": "month"}
            amount = 0 if trial else price["unit_amount"] * quantity
            description = (
                f"Trial period for {product}"
                if trial
                else f"{quantity} × {product} (at {format_amount(price['unit_amount'], price['currency'])}"
                f" / {recurring['interval']})"
            )
            lines.append(
                invoice_line_object(
                    new_id("il_"),
                    invoice_id=None,
                    subscription=subscription,
                    item_id=item["id"],
                    price=price,
                    quantity=quantity,
                    amount=amount,
                    period=period,
                    description=description,
                )
            )
        return lines

    def _set_status(self, subscription: dict[str, Any], status: str) -> None:
        if subscription["status"] != status:
            previous = {"status": subscription["status"]}
            subscription["status"] = status
            self.emit("customer.subscription.updated", clone(subscription), previous_attributes=previous)

    # ----------------------------------------------------------------------- API

    def _subscription(self, subscription_id: str) -> dict[str, Any]:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise no_such("subscription", subscription_id)
        return subscription

    def list_subscriptions(self, filters: dict[str, Any]) -> dict[str, Any]:
        status = enum_param(filters, "status", SUBSCRIPTION_STATUSES)
        with self._lock:
            found = [
                s
                for s in self.subscriptions.values()
                if filters.get("customer") in (None, s["customer"])
                and filters.get("price") in (None, *(i["price"]["id"] for i in s["items"]["data"]))
                and _status_matches(s["status"], status)
            ]
            return page_of(found, filters, "/v1/subscriptions")

    def update_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/subscriptions/<id>: cancel at period end (or at a time), resume, switch price, metadata."""
        options = subscription_update_options(params)
        with self.batch():
            subscription = self._subscription(subscription_id)
            if subscription["status"] in ("canceled", "incomplete_expired"):
                raise StripeError("A canceled subscription can only update its cancellation_details and metadata.")
            self._apply_update(subscription, options)
            return clone(subscription)

    def _apply_update(self, subscription: dict[str, Any], options: dict[str, Any]) -> None:
        """Apply checked update options (the API's, or the portal's): customer.subscription.updated,
        then the invoice of a plan switch that bills now (see plan_changes.py)."""
        before = clone(subscription)
        bill_now = None
        if options.get("items"):
            bill_now = self._change_items(subscription, options["items"], options["proration_behavior"])
        if options.get("cancel_at_period_end") is not None or "cancel_at" in options:
            self._schedule_cancel(subscription, options)
        if "metadata" in options:
            subscription["metadata"] = merge_metadata(subscription["metadata"], options["metadata"])
        for name in ("description", "default_payment_method"):
            if name in options:
                subscription[name] = options[name]
        self._emit_changes(subscription, before)
        if bill_now is not None:
            self._bill_change(subscription, bill_now)

    def _schedule_cancel(self, subscription: dict[str, Any], options: dict[str, Any]) -> None:
        period_end = subscription["items"]["data"][0]["current_period_end"]
        at_end = options.get("cancel_at_period_end")
        cancel_at = options.get("cancel_at") if not at_end else period_end
        if cancel_at is not None and cancel_at <= self.now():
            raise StripeError("cancel_at must be in the future.", param="cancel_at")
        if cancel_at is not None:
            subscription.update(cancel_at=cancel_at, cancel_at_period_end=cancel_at == period_end)
            subscription["canceled_at"] = self.now()
            details = options.get("cancellation_details") or {}
            subscription["cancellation_details"] = {
                "comment": details.get("comment"),
                "feedback": details.get("feedback"),
                "reason": "cancellation_requested",
            }
        else:  # resume: the scheduled cancellation is withdrawn
            subscription.update(cancel_at=None, cancel_at_period_end=False, canceled_at=None)
            subscription["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}

    def _emit_changes(self, subscription: dict[str, Any], before: dict[str, Any]) -> None:
        """customer.subscription.updated with the changed top-level fields' old values, if any changed."""
        previous = {key: value for key, value in before.items() if subscription.get(key) != value}
        if previous:
            self.emit("customer.subscription.updated", clone(subscription), previous_attributes=previous)

    def cancel_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """DELETE /v1/subscriptions/<id>: cancel now; customer.subscription.deleted."""
        options = subscription_cancel_options(params)
        with self.batch():
            subscription = self._subscription(subscription_id)
            if subscription["status"] == "canceled":
                raise no_such("subscription", subscription_id)
            self._end_subscription(
                subscription, reason="cancellation_requested", details=options["cancellation_details"]
            )
            return clone(subscription)

    def _end_subscription(
        self, subscription: dict[str, Any], *, reason: str, details: dict[str, Any] | None = None
    ) -> None:
        now = self.now()
        subscription.update(status="canceled", ended_at=now, canceled_at=subscription["canceled_at"] or now)
        if subscription["cancel_at"] is None or subscription["cancel_at"] > now:
            subscription["cancel_at"] = None
        cancellation = dict(subscription["cancellation_details"])
        cancellation.update({k: v for k, v in (details or {}).items() if v is not None})
        cancellation["reason"] = cancellation["reason"] or reason
        subscription["cancellation_details"] = cancellation
        self.emit("customer.subscription.deleted", clone(subscription))


def _status_matches(status: str, wanted: str | None) -> bool:
    if wanted is None:
        return status not in ("canceled", "incomplete_expired")  # Stripe lists live subscriptions by default
    if wanted == "all":
        return True
    if wanted == "ended":
        return status in ("canceled", "incomplete_expired")
    return status == wanted
