"""Checkout Sessions: create, retrieve, list, expire (by hand or by the sweep),
pay (what the hosted page does) and settle a delayed payment.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from .events import Events
from .objects import (
    charge_object,
    clone,
    completed_session_fields,
    list_object,
    new_id,
    payment_intent_object,
    session_object,
)
from .params import StripeError, list_limit, no_such
from .payer import payer_for
from .session_params import session_create_options

OUTCOMES = ("paid", "delayed", "delayed_succeeded", "delayed_failed")


class CheckoutSessions(Events):
    """The Checkout Session endpoints and the payer's side of the hosted page."""

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/checkout/sessions with decoded form params; returns the new session."""
        now = self.now()
        options = session_create_options(params, now)
        session_id = new_id("cs_test_", 58)
        session = session_object(session_id, options, created=now, url=f"{self.page_base_url}/pay/{session_id}")
        with self._lock:
            self.sessions[session_id] = session
            self.line_items[session_id] = options["line_items"]
            # kept aside: copied onto the PaymentIntent when the session is paid
            self._session_private[session_id] = {"pi_metadata": options["pi_metadata"]}
            return clone(session)

    def retrieve_session(self, session_id: str) -> dict[str, Any]:
        """GET /v1/checkout/sessions/<id>; a session past its expiry is expired first (as Stripe's sweep would)."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if session["status"] == "open" and session["expires_at"] <= self.now():
                self._expire(session_id, send_webhook=True)
            return clone(session)

    def list_sessions(self, filters: dict[str, Any]) -> dict[str, Any]:
        limit = list_limit(filters)
        with self._lock:
            found = [
                s
                for s in self.sessions.values()
                if all(
                    filters.get(key) in (None, s.get(key))
                    for key in ("payment_intent", "status", "client_reference_id", "customer")
                )
            ]
            found.sort(key=lambda s: s["created"], reverse=True)
            return list_object(clone(found[:limit]), "/v1/checkout/sessions", has_more=len(found) > limit)

    # ------------------------------------------------------------------- expiry

    def expire_session(self, session_id: str, *, send_webhook: bool = True) -> dict[str, Any]:
        """Expire an open session now and send checkout.session.expired; returns the session."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if session["status"] != "open":
                raise StripeError(
                    f'Only Checkout Sessions with a status in ["open"] can be expired; this one is {session["status"]!r}.',
                    code="checkout_session_not_open",
                )
            return self._expire(session_id, send_webhook=send_webhook)

    def _expire(self, session_id: str, *, send_webhook: bool) -> dict[str, Any]:
        session = self.sessions[session_id]
        session["status"] = "expired"
        session["url"] = None
        snapshot = clone(session)
        event = self.build_event("checkout.session.expired", snapshot)
        if send_webhook:
            self.deliver_event(event)
        return snapshot

    def sweep_expired(self, *, within: float = 0, send_webhook: bool = True) -> list[str]:
        """Expire every open session whose `expires_at` is past, or `within` seconds from now
        (as if that much time had gone by); returns their ids. The background sweep runs this."""
        with self._lock:
            horizon = self.now() + within
            due = [sid for sid, s in self.sessions.items() if s["status"] == "open" and s["expires_at"] <= horizon]
            for session_id in due:
                self._expire(session_id, send_webhook=send_webhook)
        return due

    # ------------------------------------------------------------------ payment

    def complete_session(
        self,
        session_id: str,
        outcome: str = "paid",
        *,
        email: str | None = None,
        name: str | None = None,
        address: dict[str, str] | None = None,
        send_webhook: bool = True,
    ) -> dict[str, Any]:
        """What a payer does on the hosted page, without the browser.

        outcome: "paid" (card succeeds), "delayed" (complete but unpaid, like a
        bank debit), "delayed_succeeded" / "delayed_failed" (settle a delayed
        payment; an open session is first completed as "delayed"). Sends
        checkout.session.completed and/or .async_payment_succeeded/_failed.
        Returns the session afterwards.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise no_such("checkout.session", session_id)
            if outcome in ("paid", "delayed") or session["status"] == "open":
                self._pay(
                    session_id,
                    delayed=outcome != "paid",
                    payer=payer_for(session, email=email, name=name, address=address),
                    send_webhook=send_webhook,
                )
            if outcome in ("delayed_succeeded", "delayed_failed"):
                self._settle(session_id, succeeded=outcome == "delayed_succeeded", send_webhook=send_webhook)
            return clone(self.sessions[session_id])

    def _pay(self, session_id: str, *, delayed: bool, payer: dict[str, str], send_webhook: bool) -> None:
        session = self.sessions[session_id]
        if session["status"] == "open" and session["expires_at"] <= self.now():
            self._expire(session_id, send_webhook=True)
        if session["status"] != "open":
            raise StripeError(f"This Checkout Session is {session['status']} and can no longer be paid.")
        allowed = (session["shipping_address_collection"] or {}).get("allowed_countries")
        if allowed and payer["country"] not in allowed:
            raise StripeError(f"Shipping to {payer['country']} is not offered by this merchant.", param="country")
        pi_id, charge_id = new_id("pi_"), new_id("ch_")
        private = self._session_private.get(session_id, {})
        intent = payment_intent_object(
            pi_id,
            session,
            charge_id=charge_id,
            payer=payer,
            delayed=delayed,
            metadata=dict(private.get("pi_metadata", {})),
            now=self.now(),
        )
        self.payment_intents[pi_id] = intent
        self.charges[charge_id] = charge_object(charge_id, intent, payer=payer, delayed=delayed)
        session.update(completed_session_fields(pi_id, payer=payer, delayed=delayed))
        event = self.build_event("checkout.session.completed", clone(session))
        if send_webhook:
            self.deliver_event(event)
        if delayed and self.auto_settle_after is not None:
            timer = threading.Timer(self.auto_settle_after, self._auto_settle, args=(session_id, self._generation))
            timer.daemon = True
            timer.start()

    # --------------------------------------------------------- delayed payments

    def _auto_settle(self, session_id: str, generation: int) -> None:
        with self._lock:
            if generation != self._generation or self._stopping.is_set():
                return
            with contextlib.suppress(StripeError):  # settled by hand meanwhile
                self._settle(session_id, succeeded=True, send_webhook=True)

    def settle_session(self, session_id: str, *, succeeded: bool = True, send_webhook: bool = True) -> dict[str, Any]:
        """Settle a delayed payment: async_payment_succeeded or async_payment_failed."""
        with self._lock:
            if session_id not in self.sessions:
                raise no_such("checkout.session", session_id)
            self._settle(session_id, succeeded=succeeded, send_webhook=send_webhook)
            return clone(self.sessions[session_id])

    def _settle(self, session_id: str, *, succeeded: bool, send_webhook: bool) -> None:
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
        event = self.build_event(event_type, clone(session))
        if send_webhook:
            self.deliver_event(event)
