"""Invoices of subscriptions: made as drafts, finalized, paid (or not) by the customer's card,
retried on a schedule; and their InvoicePayments, each naming the PaymentIntent that paid it.

Events, in the order Stripe sends them for one invoice: invoice.created, invoice.finalized, then
invoice.paid and invoice.payment_succeeded, or invoice.payment_failed.
"""

from __future__ import annotations

from typing import Any

from .billing_objects import invoice_object, invoice_payment_object
from .events import Events
from .objects import charge_object, clone, new_id, payment_intent_object
from .params import StripeError, check_known, no_such, string_param
from .periods import days
from .store import page_of

INVOICE_LIST_PARAMS = frozenset(
    {
        "collection_method",
        "created",
        "customer",
        "customer_account",
        "due_date",
        "ending_before",
        "expand",
        "limit",
        "starting_after",
        "status",
        "subscription",
    }
)
DECLINE = {
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "type": "card_error",
}
PI_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription update",
    "subscription_update": "Subscription update",
}


class Invoices(Events):
    """GET /v1/invoices, /v1/invoice_payments; the invoice life cycle the subscriptions drive."""

    def _bill(
        self,
        subscription: dict[str, Any],
        lines: list[dict[str, Any]],
        *,
        billing_reason: str,
        period: tuple[int, int],
        discounts: list[tuple[str, int]],
        succeed: bool | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Make, finalize and try to pay an invoice; `(invoice, paid)`."""
        invoice = self._new_invoice(
            subscription, lines, billing_reason=billing_reason, period=period, discounts=discounts
        )
        self._finalize_invoice(invoice)
        return invoice, self._attempt_invoice(invoice, succeed=succeed)

    def _new_invoice(
        self,
        subscription: dict[str, Any],
        lines: list[dict[str, Any]],
        *,
        billing_reason: str,
        period: tuple[int, int],
        discounts: list[tuple[str, int]],
        announce: bool = True,
    ) -> dict[str, Any]:
        """A draft invoice for the subscription (its `latest_invoice`); invoice.created unless `announce` is false."""
        invoice_id = new_id("in_")
        for line in lines:
            line["invoice"] = invoice_id
        invoice = invoice_object(
            invoice_id,
            customer=self.customers[subscription["customer"]],
            subscription=subscription,
            lines=lines,
            billing_reason=billing_reason,
            created=self.now(),
            period=period,
            discounts=discounts,
        )
        self.invoices[invoice_id] = invoice
        subscription["latest_invoice"] = invoice_id
        if announce:
            self.emit("invoice.created", clone(invoice))
        return invoice

    def _billing_state(self, subscription_id: str) -> dict[str, Any]:
        return self._billing.setdefault(subscription_id, {})

    def _finalize_invoice(self, invoice: dict[str, Any]) -> None:
        customer = self.customers[invoice["customer"]]
        sequence = customer.get("next_invoice_sequence", 1)
        customer["next_invoice_sequence"] = sequence + 1
        now = self.now()
        invoice.update(
            status="open",
            number=f"{customer.get('invoice_prefix', 'EMU')}-{sequence:04d}",
            effective_at=now,
            automatically_finalizes_at=None,
            ending_balance=0,
        )
        invoice["status_transitions"]["finalized_at"] = now
        self.emit("invoice.finalized", clone(invoice))

    def _attempt_invoice(self, invoice: dict[str, Any], *, succeed: bool | None = None) -> bool:
        """Charge the customer's card for an open invoice; True when it is paid."""
        if invoice["amount_due"] == 0:
            self._mark_paid(invoice)
            return True
        card = self.card_of(invoice["customer"])
        succeeded = not card["failing"] if succeed is None else succeed
        payment = self._invoice_payment(invoice, card["payment_method"])
        intent = self.payment_intents[payment["payment"]["payment_intent"]]
        charge_id = new_id("ch_")
        charge = charge_object(charge_id, intent, payer=self._billing_payer(invoice), delayed=False)
        self.charges[charge_id] = charge
        intent["latest_charge"] = charge_id
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        if succeeded:
            intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
            payment.update(status="paid", amount_paid=invoice["amount_due"])
            payment["status_transitions"]["paid_at"] = self.now()
            self._mark_paid(invoice)
            return True
        charge.update(
            status="failed",
            paid=False,
            captured=False,
            amount_captured=0,
            balance_transaction=None,
            failure_code=DECLINE["code"],
            failure_message=DECLINE["message"],
        )
        intent.update(status="requires_payment_method", last_payment_error=dict(DECLINE, charge=charge_id))
        retries = self.retry_days
        attempts = invoice["attempt_count"]
        invoice["next_payment_attempt"] = self.now() + days(retries[attempts - 1]) if attempts <= len(retries) else None
        self.emit("invoice.payment_failed", clone(invoice))
        return False

    def _invoice_payment(self, invoice: dict[str, Any], payment_method: str) -> dict[str, Any]:
        """The invoice's default InvoicePayment (and its PaymentIntent), made on the first attempt."""
        for payment in self.invoice_payments.values():
            if payment["invoice"] == invoice["id"] and payment["is_default"]:
                return payment
        pi_id = new_id("pi_")
        intent = payment_intent_object(
            pi_id,
            amount=invoice["amount_due"],
            currency=invoice["currency"],
            charge_id="",
            payer={"email": invoice["customer_email"] or ""},
            delayed=False,
            metadata={},
            now=self.now(),
            customer=invoice["customer"],
            description=PI_DESCRIPTIONS.get(invoice["billing_reason"]),
        )
        intent.update(status="processing", amount_received=0, payment_method=payment_method)
        self.payment_intents[pi_id] = intent
        payment = invoice_payment_object(new_id("inpay_"), invoice, pi_id, created=self.now())
        self.invoice_payments[payment["id"]] = payment
        return payment

    def _billing_payer(self, invoice: dict[str, Any]) -> dict[str, str]:
        address = invoice.get("customer_address") or {}
        payer = {key: address.get(key) or "" for key in ("line1", "line2", "city", "state", "postal_code", "country")}
        return {**payer, "email": invoice["customer_email"] or "", "name": invoice["customer_name"] or ""}

    def _mark_paid(self, invoice: dict[str, Any]) -> None:
        now = self.now()
        invoice.update(
            status="paid",
            amount_paid=invoice["amount_due"],
            amount_remaining=0,
            attempted=True,
            next_payment_attempt=None,
        )
        invoice["status_transitions"]["paid_at"] = now
        self.emit("invoice.paid", clone(invoice))
        self.emit("invoice.payment_succeeded", clone(invoice))

    # ----------------------------------------------------------------------- API

    def list_invoices(self, filters: dict[str, Any]) -> dict[str, Any]:
        check_known(filters, INVOICE_LIST_PARAMS)
        subscription = string_param(filters, "subscription")
        with self._lock:
            found = [
                invoice
                for invoice in self.invoices.values()
                if filters.get("customer") in (None, invoice["customer"])
                and filters.get("status") in (None, invoice["status"])
                and subscription in (None, invoice["parent"]["subscription_details"]["subscription"])
            ]
            return page_of(found, filters, "/v1/invoices")

    def list_invoice_lines(self, invoice_id: str, filters: dict[str, Any]) -> dict[str, Any]:
        invoice = self.retrieve("invoice", invoice_id)
        return page_of(invoice["lines"]["data"], filters, f"/v1/invoices/{invoice_id}/lines")

    def list_invoice_payments(self, filters: dict[str, Any]) -> dict[str, Any]:
        payment_filter = filters.get("payment") if isinstance(filters.get("payment"), dict) else {}
        with self._lock:
            found = [
                p
                for p in self.invoice_payments.values()
                if filters.get("invoice") in (None, p["invoice"])
                and filters.get("status") in (None, p["status"])
                and payment_filter.get("payment_intent") in (None, p["payment"]["payment_intent"])
            ]
            return page_of(found, filters, "/v1/invoice_payments")

    def pay_invoice(self, invoice_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/invoices/<id>/pay: try the customer's card now (as a retry would)."""
        check_known(params, frozenset({"expand", "off_session", "paid_out_of_band", "payment_method", "source"}))
        with self.batch():
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                raise no_such("invoice", invoice_id)
            if invoice["status"] != "open":
                raise StripeError(f"Invoice is already {invoice['status']}.", code="invoice_not_open")
            self._retry_invoice(invoice)
            paid, result = invoice["status"] == "paid", clone(invoice)
        if not paid:  # after the batch, so invoice.payment_failed is still sent
            raise StripeError(DECLINE["message"], status=402, type="card_error", code="card_declined")
        return result
