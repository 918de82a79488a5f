"""The emulator's clock, and what Stripe Billing does as time passes.

`advance_clock(seconds | to)` moves `now()` forward and runs, in time order, everything that falls
due on the way (each at its own moment, so events carry the times Stripe's would):

- a period end: a subscription set to cancel ends (customer.subscription.deleted); otherwise it
  renews: customer.subscription.updated (the items' new period; `trialing` -> `active` at a trial's
  end), invoice.created, invoice.finalized, then invoice.paid + invoice.payment_succeeded, or
  invoice.payment_failed + customer.subscription.updated (`past_due`) when the card declines;
- a retry of an unpaid invoice, `retry_days` (default 3, 5 and 7) days after the previous attempt:
  paid -> invoice.paid, invoice.payment_succeeded, customer.subscription.updated (`active`);
  declined -> invoice.payment_failed; after the last retry the subscription is canceled
  (customer.subscription.deleted) or marked `unpaid` (customer.subscription.updated), as
  `dunning_final_status` says;
- `upcoming_days` (default 7) days before a yearly renewal: invoice.upcoming (an invoice preview
  without an id); 3 days before a trial ends: customer.subscription.trial_will_end;
- open Checkout Sessions past `expires_at` expire (checkout.session.expired).

The events of one advance are sent in that order on one delivery thread; `shuffle` (seeded) mixes
the order and `duplicate` sends each twice, as Stripe may.
"""

from __future__ import annotations

import time
from typing import Any

from .billing_objects import invoice_object
from .events import Events
from .objects import clone
from .params import StripeError
from .periods import add_interval, days

# What falls due at the same second runs in this order.
ORDER = ("trial_will_end", "upcoming", "retry", "cancel", "renew")


class Clock(Events):
    """`advance_clock` and the billing it runs."""

    def clock(self) -> dict[str, Any]:
        return {"object": "emulator.clock", "now": self.now(), "offset": self._clock_offset}

    def advance_clock(
        self,
        seconds: float | None = None,
        *,
        to: int | None = None,
        shuffle: bool = False,
        duplicate: bool = False,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Move the clock `seconds` ahead (or `to` a Unix time) and run what falls due;
        returns the clock and the events sent (`[{"id", "type"}]`, in the order they were made)."""
        with self.batch(shuffle=shuffle, duplicate=duplicate, seed=seed) as events:
            start = self.now()
            target = int(to) if to is not None else start + int(seconds or 0)
            if target < start:
                raise StripeError("The emulator's clock only moves forward.", param="to")
            try:
                # stopped while it runs, so each thing that falls due is stamped with its own second
                self._frozen_now = start
                while (due := self._next_due(target)) is not None:
                    self._frozen_now = max(due[0], self._frozen_now)
                    self._run_due(due[2], due[3])
                self._frozen_now = target
                self.sweep_expired()
            finally:
                self._clock_offset = (self._frozen_now or start) - int(time.time())
                self._frozen_now = None
            made = [{"id": event["id"], "type": event["type"]} for event in events]
        return {**self.clock(), "events": made}

    def _next_due(self, target: int) -> tuple[int, int, str, str] | None:
        due: list[tuple[int, int, str, str]] = []
        for subscription in self.subscriptions.values():
            due.extend(self._subscription_due(subscription))
        for invoice in self.invoices.values():
            if invoice["status"] == "open" and invoice["next_payment_attempt"] is not None:
                due.append((invoice["next_payment_attempt"], ORDER.index("retry"), "retry", invoice["id"]))
        due = [entry for entry in due if entry[0] <= target]
        return min(due) if due else None

    def _subscription_due(self, subscription: dict[str, Any]) -> list[tuple[int, int, str, str]]:
        if subscription["status"] not in ("active", "trialing", "past_due"):
            return []
        sub_id = subscription["id"]
        state = self._billing_state(sub_id)
        period_end = subscription["items"]["data"][0]["current_period_end"]
        cancel_at = subscription["cancel_at"]
        if cancel_at is not None and cancel_at <= period_end:
            return [(cancel_at, ORDER.index("cancel"), "cancel", sub_id)]
        due = [(period_end, ORDER.index("renew"), "renew", sub_id)]
        recurring = subscription["items"]["data"][0]["price"]["recurring"] or {}
        notice = period_end - days(self.upcoming_days)
        if (
            recurring.get("interval") == "year"
            and state.get("upcoming_for") != period_end
            and notice > self._period_start(subscription)
        ):
            due.append((period_end - days(self.upcoming_days), ORDER.index("upcoming"), "upcoming", sub_id))
        trial_end = subscription["trial_end"]
        if subscription["status"] == "trialing" and trial_end and not state.get("trial_will_end_sent"):
            due.append((trial_end - days(3), ORDER.index("trial_will_end"), "trial_will_end", sub_id))
        return due

    @staticmethod
    def _period_start(subscription: dict[str, Any]) -> int:
        return subscription["items"]["data"][0]["current_period_start"]

    def _run_due(self, action: str, object_id: str) -> None:
        if action == "retry":
            self._retry_invoice(self.invoices[object_id])
            return
        subscription = self.subscriptions[object_id]
        if action == "cancel":
            self._end_subscription(subscription, reason="cancellation_requested")
        elif action == "renew":
            self._renew(subscription)
        elif action == "upcoming":
            self._send_upcoming(subscription)
        elif action == "trial_will_end":
            self._billing_state(object_id)["trial_will_end_sent"] = True
            self.emit("customer.subscription.trial_will_end", clone(subscription))

    def _next_period(self, subscription: dict[str, Any]) -> tuple[int, int]:
        item = subscription["items"]["data"][0]
        recurring = item["price"]["recurring"]
        start = item["current_period_end"]
        end = add_interval(
            start, recurring["interval"], recurring["interval_count"], anchor=subscription["billing_cycle_anchor"]
        )
        return start, end

    def _renew(self, subscription: dict[str, Any]) -> None:
        before = clone(subscription)
        old = subscription["items"]["data"][0]
        old_period = (old["current_period_start"], old["current_period_end"])
        start, end = self._next_period(subscription)
        for item in subscription["items"]["data"]:
            item.update(current_period_start=start, current_period_end=end)
        if subscription["status"] == "trialing":
            subscription["status"] = "active"
        lines = self._billing_state(subscription["id"]).pop("pending", []) + self._period_lines(
            subscription, (start, end)
        )
        invoice = self._new_invoice(
            subscription,
            lines,
            billing_reason="subscription_cycle",
            period=old_period,
            discounts=self._discount_amounts(subscription, lines),
            announce=False,
        )
        self._emit_changes(subscription, before)  # the new period comes before the invoice, as in Stripe
        self.emit("invoice.created", clone(invoice))
        self._after_invoice_discounts(subscription)
        self._finalize_invoice(invoice)
        if not self._attempt_invoice(invoice):
            self._set_status(subscription, "past_due")

    def _retry_invoice(self, invoice: dict[str, Any]) -> None:
        """A scheduled (or requested) payment attempt on an open invoice."""
        subscription = self.subscriptions.get(invoice["parent"]["subscription_details"]["subscription"])
        if self._attempt_invoice(invoice):
            if subscription is not None and subscription["status"] in ("past_due", "unpaid"):
                self._set_status(subscription, "active")
            return
        exhausted = invoice["next_payment_attempt"] is None and subscription is not None
        if exhausted and subscription["status"] in ("past_due", "active"):
            if self.dunning_final_status == "unpaid":
                self._set_status(subscription, "unpaid")
            else:
                self._end_subscription(subscription, reason="payment_failed")

    def _send_upcoming(self, subscription: dict[str, Any]) -> None:
        """invoice.upcoming: a preview of the renewal invoice (no id, as Stripe's has none)."""
        start, end = self._next_period(subscription)
        state = self._billing_state(subscription["id"])
        state["upcoming_for"] = subscription["items"]["data"][0]["current_period_end"]
        lines = [dict(line) for line in state.get("pending", [])] + self._period_lines(subscription, (start, end))
        old = subscription["items"]["data"][0]
        preview = invoice_object(
            None,
            customer=self.customers[subscription["customer"]],
            subscription=subscription,
            lines=lines,
            billing_reason="upcoming",
            created=self.now(),
            period=(old["current_period_start"], old["current_period_end"]),
            discounts=self._discount_amounts(subscription, lines),
        )
        preview["next_payment_attempt"] = start
        self.emit("invoice.upcoming", preview)
