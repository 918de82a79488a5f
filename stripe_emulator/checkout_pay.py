"""Paying a Checkout Session: what the hosted page (or `complete_session`) does.

The payer's choices (shipping rate, promotion code, consent boxes) are checked again at payment:
a code may have expired or run out since it was applied. Redeeming happens under the store lock.
In payment mode a PaymentIntent and Charge are made (none when nothing is due:
`payment_status: no_payment_required`); in subscription mode a customer, subscription and first
invoice (subscriptions.py). checkout.session.completed comes last, with the whole session.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from .catalog_objects import discount_object, tax_rate_object
from .events import Events
from .objects import charge_object, clone, new_id, payer_address, payment_intent_object
from .params import StripeError, no_such
from .payer import payer_for
from .session_objects import completed_session_fields
from .tax import Jurisdiction, jurisdiction, state_required, valid_state

OUTCOMES = ("paid", "delayed", "delayed_succeeded", "delayed_failed")


class CheckoutPayments(Events):
    """Completing (paying) Checkout Sessions and settling delayed payments."""

    def complete_session(
        self,
        session_id: str,
        outcome: str = "paid",
        *,
        email: str | None = None,
        name: str | None = None,
        address: dict[str, str] | None = None,
        send_webhook: bool = True,
        shipping_rate: str | None = None,
        promotion_code: str | None = None,
        consent_promotions: bool | None = None,
        accept_terms: bool = True,
    ) -> dict[str, Any]:
        """What a payer does on the hosted page, without the browser.

        outcome: "paid" (card succeeds), "delayed" (complete but unpaid, like a bank debit),
        "delayed_succeeded" / "delayed_failed" (settle a delayed payment; an open session is first
        completed as "delayed"). `shipping_rate` picks one of the session's options (default: the
        first), `promotion_code` is a code as typed ("" removes one applied on the page),
        `consent_promotions` ticks the promotions box. Returns the session afterwards.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        choices = {
            "shipping_rate": shipping_rate,
            "promotion_code": promotion_code,
            "consent_promotions": consent_promotions,
            "accept_terms": accept_terms,
        }
        with self.batch(send=send_webhook):
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if outcome in ("paid", "delayed") or session["status"] == "open":
                known = (self.customers.get(session["customer"] or "") or {}).get("email")
                payer = payer_for(session, email=email or known, name=name, address=address)
                self._pay(session_id, delayed=outcome != "paid", payer=payer, choices=choices)
            if outcome in ("delayed_succeeded", "delayed_failed"):
                self._settle(session_id, succeeded=outcome == "delayed_succeeded")
            return clone(self.sessions[session_id])

    def _pay(self, session_id: str, *, delayed: bool, payer: dict[str, str], choices: dict[str, Any]) -> None:
        session = self.sessions[session_id]
        self._check_payable(session, payer, delayed=delayed)
        private = self._session_private[session_id]
        if choices.get("shipping_rate"):
            if choices["shipping_rate"] not in [o["shipping_rate"] for o in session["shipping_options"]]:
                raise StripeError("Choose one of the shipping options offered.", param="shipping_rate")
            private["shipping_rate"] = choices["shipping_rate"]
        if choices.get("promotion_code") is not None:
            private["discount"] = self._typed_discount(session, choices["promotion_code"], email=payer["email"])
        promo, coupon = self._discount_at_payment(session, private["discount"], payer)
        place = jurisdiction(payer["country"], payer["state"]) if session["automatic_tax"]["enabled"] else None
        computed = self._reprice(session_id, place=place)
        consent = self._consent_at_payment(session, choices)
        if coupon is not None:
            self.redeem(promo, coupon)
        self._store_breakdown(session, computed, coupon, promo, place)
        if session["mode"] == "subscription":
            discount = {"coupon": coupon, "promotion_code": promo["id"] if promo else None} if coupon else None
            self._complete_subscription_session(session, payer, discount)
        else:
            self._complete_payment_session(session, payer, delayed=delayed)
        session["consent"] = consent
        self.emit("checkout.session.completed", clone(session))

    def _check_payable(self, session: dict[str, Any], payer: dict[str, str], *, delayed: bool) -> None:
        if session["status"] == "open" and session["expires_at"] <= self.now():
            self._expire(session["id"])
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is {session['status']} and can no longer be paid.")
        allowed = (session["shipping_address_collection"] or {}).get("allowed_countries")
        if allowed and payer["country"] not in allowed:
            raise StripeError(f"Shipping to {payer['country']} is not offered by this merchant.", param="country")
        taxed = session["automatic_tax"]["enabled"] and state_required(payer["country"])
        if taxed and not valid_state(payer["country"], payer["state"] or ""):
            raise StripeError("Enter the state or province (a two-letter code, such as CA or ON).", param="state")
        if delayed and session["mode"] == "subscription":
            raise StripeError("The emulator pays subscriptions by card only.", param="outcome")

    def _discount_at_payment(
        self, session: dict[str, Any], discount: dict[str, Any] | None, payer: dict[str, str]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The promotion code and coupon to redeem, checked again now (refused if no longer valid)."""
        if discount is None:
            return None, None
        promo = self.promotion_codes.get(discount["promotion_code"] or "")
        coupon = self.check_redeemable(
            promo,
            discount["coupon"],
            currency=session["currency"],
            subtotal=sum(item["amount_subtotal"] for item in self.line_items[session["id"]]),
            email=payer["email"],
            customer=session["customer"],
        )
        return promo, coupon

    def _consent_at_payment(self, session: dict[str, Any], choices: dict[str, Any]) -> dict[str, Any] | None:
        collection = session.get("consent_collection")
        if not collection:
            return None
        promotions = None
        if collection["promotions"] == "auto":
            ticked = choices.get("consent_promotions")
            recorded = self._session_private[session["id"]]["consent_promotions"]
            promotions = ("opt_in" if ticked else "opt_out") if ticked is not None else recorded or "opt_out"
        terms = None
        if collection["terms_of_service"] == "required":
            if not choices.get("accept_terms"):
                raise StripeError("Accept the terms of service to continue.", param="terms_of_service")
            terms = "accepted"
        return {"promotions": promotions, "terms_of_service": terms}

    def _store_breakdown(
        self,
        session: dict[str, Any],
        computed: dict[str, Any],
        coupon: dict[str, Any] | None,
        promo: dict[str, Any] | None,
        place: Jurisdiction | None,
    ) -> None:
        """`total_details.breakdown` (returned when expanded): the discount and the tax applied."""
        breakdown: dict[str, list[Any]] = {"discounts": [], "taxes": []}
        if coupon is not None:
            applied = discount_object(
                coupon, promo["id"] if promo else None, start=self.now(), checkout_session=session["id"]
            )
            self.discounts[applied["id"]] = applied
            breakdown["discounts"].append({"amount": session["total_details"]["amount_discount"], "discount": applied})
        if place is not None:
            rate = tax_rate_object(place, created=self.now())
            self.tax_rates.setdefault(rate["id"], rate)
            breakdown["taxes"].append(
                {
                    "amount": computed["tax"],
                    "rate": rate,
                    "taxability_reason": place.taxability_reason,
                    "taxable_amount": computed["taxable_amount"],
                }
            )
            session["automatic_tax"]["status"] = "complete"
        self.breakdowns[session["id"]] = breakdown

    def _complete_payment_session(self, session: dict[str, Any], payer: dict[str, str], *, delayed: bool) -> None:
        customer = session["customer"]
        if customer is None and session["customer_creation"] == "always":
            customer = self._new_customer(email=payer["email"], name=payer["name"], address=payer_address(payer))["id"]
            session["customer"] = customer
        pi_id = None
        status = "no_payment_required"
        if session["amount_total"] > 0:
            pi_id, charge_id = new_id("pi_"), new_id("ch_")
            intent = payment_intent_object(
                pi_id,
                amount=session["amount_total"],
                currency=session["currency"],
                charge_id=charge_id,
                payer=payer,
                delayed=delayed,
                metadata=dict(self._session_private[session["id"]]["pi_metadata"]),
                now=self.now(),
                customer=customer,
            )
            self.payment_intents[pi_id] = intent
            self.charges[charge_id] = charge_object(charge_id, intent, payer=payer, delayed=delayed)
            status = "unpaid" if delayed else "paid"
        shipping = bool(session["shipping_address_collection"])
        session.update(completed_session_fields(pi_id, payer=payer, payment_status=status, shipping=shipping))
        if pi_id and delayed and self.auto_settle_after is not None:
            timer = threading.Timer(self.auto_settle_after, self._auto_settle, args=(session["id"], self._generation))
            timer.daemon = True
            timer.start()

    def _complete_subscription_session(
        self, session: dict[str, Any], payer: dict[str, str], discount: dict[str, Any] | None
    ) -> None:
        customer = session["customer"]
        if customer is None:
            customer = self._new_customer(email=payer["email"], name=payer["name"], address=payer_address(payer))["id"]
        subscription, invoice = self._start_subscription(session, customer, discount)
        status = "paid" if invoice["amount_due"] > 0 else "no_payment_required"
        shipping = bool(session["shipping_address_collection"])
        session.update(completed_session_fields(None, payer=payer, payment_status=status, shipping=shipping))
        session.update(customer=customer, subscription=subscription["id"], invoice=invoice["id"])

    # --------------------------------------------------------- delayed payments

    def _auto_settle(self, session_id: str, generation: int) -> None:
        with self.batch():
            if generation != self._generation or self._stopping.is_set():
                return
            with contextlib.suppress(StripeError):  # settled by hand meanwhile
                self._settle(session_id, succeeded=True)

    def settle_session(self, session_id: str, *, succeeded: bool = True, send_webhook: bool = True) -> dict[str, Any]:
        """Settle a delayed payment: async_payment_succeeded or async_payment_failed."""
        with self.batch(send=send_webhook):
            if session_id not in self.sessions:
                raise no_such("checkout.session", session_id)
            self._settle(session_id, succeeded=succeeded)
            return clone(self.sessions[session_id])

    def _settle(self, session_id: str, *, succeeded: bool) -> None:
        session = self.sessions[session_id]
        intent = self.payment_intents.get(session["payment_intent"] or "")
        if session["status"] != "complete" or intent is None or intent["status"] != "processing":
            raise StripeError("Only a completed session with a processing (delayed) payment can be settled.")
        charge = self.charges[intent["latest_charge"]]
        if succeeded:
            intent.update({"status": "succeeded", "amount_received": intent["amount"]})
            charge.update(
                {
                    "status": "succeeded",
                    "paid": True,
                    "captured": True,
                    "amount_captured": charge["amount"],
                    "balance_transaction": new_id("txn_"),
                }
            )
            session["payment_status"] = "paid"
            event_type = "checkout.session.async_payment_succeeded"
        else:
            error = {
                "code": "payment_method_provider_decline",
                "message": "The bank declined the debit.",
                "type": "card_error",
            }
            intent.update({"status": "requires_payment_method", "last_payment_error": error})
            charge.update({"status": "failed", "failure_code": error["code"], "failure_message": error["message"]})
            event_type = "checkout.session.async_payment_failed"
        self.emit(event_type, clone(session))
