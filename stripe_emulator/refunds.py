"""Refunds: through the API (POST /v1/refunds) or "in the Stripe dashboard"; each sends charge.refunded.
A test or demo fails one afterwards (`fail_refund`), as a closed card makes Stripe do days later."""

from __future__ import annotations

from typing import Any

from .events import Events
from .objects import clone, format_amount, list_object, new_id, refund_object
from .params import StripeError, list_limit, no_such, refund_create_options, string_param

# The `failure_reason` values of the pinned API version (the Refund object; stripe 16 lists the same).
FAILURE_REASONS = (
    "lost_or_stolen_card",
    "expired_or_canceled_card",
    "charge_for_pending_refund_disputed",
    "insufficient_funds",
    "declined",
    "merchant_request",
    "unknown",
)


class Refunds(Events):
    """The Refund endpoints, and refunds made outside the shop."""

    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/refunds with decoded form params; sends charge.refunded."""
        metadata, reason, amount = refund_create_options(params)
        with self._lock:
            pi_id = string_param(params, "payment_intent")
            charge_id = string_param(params, "charge")
            if pi_id is None and charge_id is None:
                raise StripeError(
                    "One of `charge` or `payment_intent` is required.", code="parameter_missing", param="payment_intent"
                )
            if pi_id is not None:
                intent = self.payment_intents.get(pi_id)
                if intent is None:
                    raise no_such("payment_intent", pi_id, status=400, param="payment_intent")
                charge_id = intent["latest_charge"]
            charge = self.charges.get(charge_id or "")
            if charge is None:
                raise no_such("charge", charge_id or "", status=400, param="charge")
            return self._refund(charge, amount, metadata=metadata, reason=reason, send_webhook=True)

    def refund(
        self,
        payment_intent_id: str,
        amount_minor: int | None = None,
        *,
        metadata: dict[str, str] | None = None,
        reason: str | None = None,
        send_webhook: bool = True,
    ) -> dict[str, Any]:
        """A refund made "in the Stripe dashboard": not through the shop. Sends charge.refunded."""
        with self._lock:
            intent = self.payment_intents.get(payment_intent_id)
            if intent is None:
                raise no_such("payment_intent", payment_intent_id, status=400, param="payment_intent")
            charge = self.charges[intent["latest_charge"]]
            return self._refund(charge, amount_minor, metadata=metadata or {}, reason=reason, send_webhook=send_webhook)

    def _refund(
        self,
        charge: dict[str, Any],
        amount: int | None,
        *,
        metadata: dict[str, str],
        reason: str | None,
        send_webhook: bool,
    ) -> dict[str, Any]:
        amount = _refund_amount(charge, amount)
        refund = refund_object(charge, amount, metadata=metadata, reason=reason, created=self.now())
        self.refunds[refund["id"]] = refund
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        refunds = charge["refunds"]
        refunds["data"].insert(0, clone(refund))  # newest first, as Stripe lists them
        refunds["total_count"] = len(refunds["data"])
        event = self.build_event("charge.refunded", clone(charge), previous_attributes=previous)
        if send_webhook:
            self.deliver_event(event)
        return clone(refund)

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card", *, send_webhook: bool = True
    ) -> dict[str, Any]:
        """A refund Stripe had accepted fails (the card was closed): the refund becomes `failed` with
        `failure_reason`, its amount goes back on the charge (`amount_refunded` and `refunded` drop), and
        Stripe's events go out, each with the refund: charge.refund.updated, refund.updated, refund.failed."""
        if failure_reason not in FAILURE_REASONS:
            raise StripeError(f"Invalid failure_reason: {failure_reason!r}.", param="failure_reason")
        with self._lock:
            refund = self.refunds.get(refund_id)
            if refund is None:
                raise no_such("refund", refund_id)
            if refund["status"] not in ("succeeded", "pending"):
                raise StripeError(
                    f"Refund {refund_id} is {refund['status']}; only a succeeded or pending refund can fail.",
                    code="refund_not_failable",
                )
            previous = {"failure_balance_transaction": None, "failure_reason": None, "status": refund["status"]}
            refund.update(failure_balance_transaction=new_id("txn_"), failure_reason=failure_reason, status="failed")
            charge = self.charges[refund["charge"]]
            charge["amount_refunded"] -= refund["amount"]
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            embedded = charge["refunds"]["data"]
            charge["refunds"]["data"] = [clone(refund) if item["id"] == refund_id else item for item in embedded]
            events = [
                self.build_event(kind, clone(refund), previous_attributes=previous)
                for kind in ("charge.refund.updated", "refund.updated")
            ]
            events.append(self.build_event("refund.failed", clone(refund)))
            if send_webhook:
                self.deliver_events(events)
            return clone(refund)

    def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            if refund_id not in self.refunds:
                raise no_such("refund", refund_id)
            return clone(self.refunds[refund_id])

    def list_refunds(self, filters: dict[str, Any]) -> dict[str, Any]:
        limit = list_limit(filters)
        with self._lock:
            found = [
                r
                for r in self.refunds.values()
                if filters.get("payment_intent") in (None, r["payment_intent"])
                and filters.get("charge") in (None, r["charge"])
            ]
            found.sort(key=lambda r: r["created"], reverse=True)
            return list_object(clone(found[:limit]), "/v1/refunds", has_more=len(found) > limit)


def _refund_amount(charge: dict[str, Any], amount: int | None) -> int:
    """How much a refund of `amount` (None: all that is left) takes off `charge`; refused if it cannot."""
    if charge["status"] != "succeeded":
        raise StripeError(
            f"Charge {charge['id']} has not succeeded (status {charge['status']!r}) and cannot be refunded.",
            code="charge_not_refundable",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeError(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise StripeError(
            "Invalid positive integer: amount must be at least 1.", code="parameter_invalid_integer", param="amount"
        )
    if amount > remaining:
        raise StripeError(
            f"Refund amount ({format_amount(amount, charge['currency'])}) is greater than unrefunded amount "
            f"on charge ({format_amount(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    return amount
