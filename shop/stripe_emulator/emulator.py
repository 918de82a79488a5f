"""The emulator's state and behaviour: Checkout Sessions, PaymentIntents,
Charges, Refunds and the events they cause.

All state lives behind one re-entrant lock, so concurrent requests (the shop
creating forty sessions at once) and the test thread's helpers never see a
half-made object. Objects are stored in Stripe's JSON shape and handed out as
copies. Parameter checks are in params.py, the HTTP layer in server.py.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from typing import Any

from .delivery import post_event
from .objects import clone, format_amount, new_id
from .params import (
    EMAIL,
    MAX_EXPIRY_SECONDS,
    REFUND_CREATE_PARAMS,
    REFUND_REASONS,
    SESSION_CREATE_PARAMS,
    StripeError,
    allowed_countries_param,
    integer_param,
    line_items_param,
    metadata_param,
    no_such,
    shipping_amount_param,
    string_param,
    url_param,
)
from .signing import sign_payload

logger = logging.getLogger("shop.stripe_emulator")

# The API version the emulator reports in events unless told otherwise.
DEFAULT_API_VERSION = "2026-10-28.endive"

OUTCOMES = ("paid", "delayed", "delayed_succeeded", "delayed_failed")

# What the hosted page fills in unless the payer changes it.
DEFAULT_PAYER = {
    "email": "dana.walker@example.com",
    "name": "Dana Walker",
    "line1": "350 Fifth Avenue",
    "line2": "",
    "city": "New York",
    "state": "NY",
    "postal_code": "10118",
    "country": "US",
}


class StripeEmulator:
    """A local Stripe: start it, point `stripe.StripeClient(base_addresses={"api": emu.base_url})` at it.

    `webhook_url` may be None (events are recorded in `emu.events`, not sent)
    and may be changed at any time. Every delivery attempt is appended to
    `emu.deliveries` as `(event_id, event_type, status_code)`; status 0 means
    the webhook could not be reached.
    """

    def __init__(
        self,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_emulator",  # noqa: S107 - a test-mode default, not a credential
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        public_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        max_attempts: int = 5,
        retry_delay: float = 0.1,
        sweep_interval: float = 0.5,
        delivery_timeout: float = 10.0,
        auto_settle_after: float | None = None,
        log_requests: bool = False,
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.host = host
        self.port = port
        self.api_key = api_key  # None: any sk_/rk_ key is accepted
        self.public_url = public_url
        self.api_version = api_version
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self.sweep_interval = sweep_interval
        self.delivery_timeout = delivery_timeout
        self.auto_settle_after = auto_settle_after
        # INFO lines per API call and webhook attempt (the CLI turns this on); DEBUG otherwise
        self.log_level = logging.INFO if log_requests else logging.DEBUG

        self._lock = threading.RLock()
        self._deliveries_changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server = None
        self._threads: list[threading.Thread] = []
        self._generation = 0
        self._init_state()

    # ----------------------------------------------------------------- lifecycle

    # The logs (`events`, `deliveries`, `api_calls`) keep the newest entries only, so a
    # long `make run` or benchmark does not grow without bound.
    max_recorded = 20_000

    def record(self, log: list[Any], entry: Any) -> None:
        with self._lock:
            log.append(entry)
            if len(log) > self.max_recorded:
                del log[: len(log) - self.max_recorded // 2]

    def _init_state(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.line_items: dict[str, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[tuple[str, str, int]] = []
        self.api_calls: list[dict[str, Any]] = []
        self.idempotency: dict[tuple[str, str], dict[str, Any]] = {}
        self._failures: list[dict[str, Any]] = []
        self._session_private: dict[str, dict[str, Any]] = {}
        self._pending = 0

    def start(self) -> StripeEmulator:
        """Serve in background threads; returns self. `base_url` is known afterwards."""
        from .server import EmulatorServer

        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = EmulatorServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        serve = threading.Thread(target=self._server.serve_forever, name="stripe-emulator", daemon=True)
        sweep = threading.Thread(target=self._sweep_forever, name="stripe-emulator-sweep", daemon=True)
        self._threads = [serve, sweep]
        for thread in self._threads:
            thread.start()
        logger.log(self.log_level, "Stripe emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving and sweeping; pending webhook retries are abandoned."""
        self._stopping.set()
        with self._lock:
            self._generation += 1
            self._pending = 0
            self._deliveries_changed.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> StripeEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every object, event, delivery and idempotency key; abandon pending deliveries."""
        with self._lock:
            self._generation += 1
            self._init_state()
            self._deliveries_changed.notify_all()

    @property
    def base_url(self) -> str:
        """The API base for `base_addresses={"api": ...}`, e.g. `http://127.0.0.1:54321`."""
        host = self.host
        if host in ("", "0.0.0.0"):  # noqa: S104 - only naming the wildcard, not binding it
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def page_base_url(self) -> str:
        """Where browsers reach the hosted pages (`public_url` when the emulator sits behind a proxy)."""
        return (self.public_url or self.base_url).rstrip("/")

    # --------------------------------------------------------------------- clock

    def now(self) -> int:
        """The emulator's clock: Unix time in whole seconds, as Stripe stamps objects."""
        return int(time.time())

    def sweep_expired(self, *, within: float = 0, send_webhook: bool = True) -> list[str]:
        """Expire every open session whose `expires_at` is past, or `within` seconds from now
        (as if that much time had gone by); returns their ids. The background sweep runs this."""
        with self._lock:
            horizon = self.now() + within
            due = [sid for sid, s in self.sessions.items() if s["status"] == "open" and s["expires_at"] <= horizon]
            for session_id in due:
                self._expire(session_id, send_webhook=send_webhook)
        return due

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.sweep_interval):
            try:
                self.sweep_expired()
            except Exception:  # the sweep must outlive a bug in one session
                logger.exception("Stripe emulator: expiry sweep failed")

    # ------------------------------------------------------------ object lookups

    def session(self, session_id: str) -> dict[str, Any]:
        """A copy of a Checkout Session as the API would answer it (KeyError if unknown)."""
        with self._lock:
            return clone(self.sessions[session_id])

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        with self._lock:
            return clone(self.payment_intents[payment_intent_id])

    def charge(self, charge_id: str) -> dict[str, Any]:
        with self._lock:
            return clone(self.charges[charge_id])

    def session_line_items(self, session_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return clone(self.line_items[session_id])

    def _find(self, object_id: str) -> dict[str, Any] | None:
        for store in (self.sessions, self.payment_intents, self.charges, self.refunds):
            if object_id in store:
                return store[object_id]
        return None

    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """A copy of `obj` with the `expand[]` paths replaced by the objects they name."""
        result = clone(obj)
        with self._lock:
            for path in paths:
                self._expand_path(result, path.split("."), path)
        return result

    def _expand_path(self, obj: dict[str, Any], parts: list[str], path: str) -> None:
        key, rest = parts[0], parts[1:]
        if key == "line_items" and obj.get("object") == "checkout.session":
            obj["line_items"] = self._line_items_list(obj["id"])
            return
        if key not in obj:
            raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
        value = obj[key]
        if isinstance(value, str):
            found = self._find(value)
            if found is None:
                raise StripeError(f"This property cannot be expanded ({path}).", param="expand")
            value = obj[key] = clone(found)
        if rest and isinstance(value, dict):
            self._expand_path(value, rest, path)

    def _line_items_list(self, session_id: str) -> dict[str, Any]:
        items = clone(self.line_items.get(session_id, []))
        return {
            "object": "list",
            "data": items,
            "has_more": False,
            "url": f"/v1/checkout/sessions/{session_id}/line_items",
        }

    # ---------------------------------------------------------- Checkout Sessions

    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/checkout/sessions with decoded form params; returns the new session."""
        for name in params:
            if name not in SESSION_CREATE_PARAMS:
                raise StripeError(f"Received unknown parameter: {name}", param=name)
        mode = string_param(params, "mode")
        if mode is None:
            raise StripeError("Missing required param: mode.", code="parameter_missing", param="mode")
        if mode != "payment":
            raise StripeError(
                f"The emulator supports mode=payment only, not {mode!r}.", code="parameter_invalid", param="mode"
            )
        success_url = url_param(params, "success_url")
        cancel_url = url_param(params, "cancel_url")
        customer_email = string_param(params, "customer_email")
        if customer_email is not None and not EMAIL.match(customer_email):
            raise StripeError(f"Invalid email address: {customer_email}", code="email_invalid", param="customer_email")
        client_reference_id = string_param(params, "client_reference_id")
        if client_reference_id is not None and len(client_reference_id) > 200:
            raise StripeError(
                "client_reference_id may be at most 200 characters.",
                code="parameter_invalid_string_too_long",
                param="client_reference_id",
            )
        metadata = metadata_param(params.get("metadata"), "metadata")
        payment_intent_data = params.get("payment_intent_data") or {}
        if not isinstance(payment_intent_data, dict):
            raise StripeError("Invalid object", param="payment_intent_data")
        pi_metadata = metadata_param(payment_intent_data.get("metadata"), "payment_intent_data[metadata]")
        allowed_countries = allowed_countries_param(params.get("shipping_address_collection"))

        now = self.now()
        expires_at = integer_param(params, "expires_at")
        if expires_at is None:
            expires_at = now + MAX_EXPIRY_SECONDS
        elif not now < expires_at <= now + MAX_EXPIRY_SECONDS + 60:
            # Real Stripe also wants it at least 30 minutes ahead; the emulator lets tests use seconds.
            raise StripeError(
                "The `expires_at` timestamp must be in the future and less than 24 hours from Checkout Session creation.",
                code="parameter_invalid_integer",
                param="expires_at",
            )

        items, currency = line_items_param(params.get("line_items"), params.get("currency"))
        shipping_amount = shipping_amount_param(params.get("shipping_options"), currency)
        subtotal = sum(item["amount_subtotal"] for item in items)

        session_id = new_id("cs_test_", 58)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": subtotal,
            "amount_total": subtotal + shipping_amount,
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_address_collection": string_param(params, "billing_address_collection"),
            "cancel_url": cancel_url,
            "client_reference_id": client_reference_id,
            "client_secret": None,
            "collected_information": None,
            "created": now,
            "currency": currency,
            "custom_fields": [],
            "custom_text": {
                "after_submit": None,
                "shipping_address": None,
                "submit": None,
                "terms_of_service_acceptance": None,
            },
            "customer": None,
            "customer_creation": "if_required",
            "customer_details": None,
            "customer_email": customer_email,
            "expires_at": expires_at,
            "invoice": None,
            "livemode": False,
            "locale": string_param(params, "locale"),
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required",
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "setup_intent": None,
            "shipping_address_collection": (
                {"allowed_countries": allowed_countries} if allowed_countries is not None else None
            ),
            "shipping_cost": (
                {"amount_subtotal": shipping_amount, "amount_tax": 0, "amount_total": shipping_amount}
                if shipping_amount
                else None
            ),
            "shipping_details": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": string_param(params, "submit_type"),
            "subscription": None,
            "success_url": success_url,
            "total_details": {"amount_discount": 0, "amount_shipping": shipping_amount, "amount_tax": 0},
            "ui_mode": "hosted",
            "url": f"{self.page_base_url}/pay/{session_id}",
        }
        with self._lock:
            self.sessions[session_id] = session
            self.line_items[session_id] = items
            # kept aside: copied onto the PaymentIntent when the session is paid
            self._session_private[session_id] = {"pi_metadata": pi_metadata}
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

    def list_sessions(self, filters: dict[str, Any]) -> dict[str, Any]:
        limit = min(max(integer_param(filters, "limit") or 10, 1), 100)
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
            return {
                "object": "list",
                "data": clone(found[:limit]),
                "has_more": len(found) > limit,
                "url": "/v1/checkout/sessions",
            }

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
                    payer=_payer(session, email=email, name=name, address=address),
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
        now = self.now()
        amount, currency = session["amount_total"], session["currency"]
        address = {
            "city": payer["city"],
            "country": payer["country"],
            "line1": payer["line1"],
            "line2": payer["line2"] or None,
            "postal_code": payer["postal_code"],
            "state": payer["state"] or None,
        }
        pi_id, charge_id = new_id("pi_"), new_id("ch_")
        private = self._session_private.get(session_id, {})
        self.payment_intents[pi_id] = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0 if delayed else amount,
            "canceled_at": None,
            "capture_method": "automatic_async",
            "client_secret": f"{pi_id}_secret_{new_id('', 16)}",
            "created": now,
            "currency": currency,
            "customer": None,
            "description": None,
            "last_payment_error": None,
            "latest_charge": charge_id,
            "livemode": False,
            "metadata": dict(private.get("pi_metadata", {})),
            "payment_method": new_id("pm_"),
            "payment_method_types": ["us_bank_account"] if delayed else ["card"],
            "receipt_email": payer["email"],
            "status": "processing" if delayed else "succeeded",
        }
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": 0 if delayed else amount,
            "amount_refunded": 0,
            "balance_transaction": None if delayed else new_id("txn_"),
            "billing_details": {"address": address, "email": payer["email"], "name": payer["name"], "phone": None},
            "captured": not delayed,
            "created": now,
            "currency": currency,
            "description": None,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": {},
            "paid": not delayed,
            "payment_intent": pi_id,
            "payment_method": self.payment_intents[pi_id]["payment_method"],
            "receipt_email": payer["email"],
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/charges/{charge_id}/refunds",
            },
            "status": "pending" if delayed else "succeeded",
        }
        shipping = {"address": dict(address), "name": payer["name"]}
        session.update(
            {
                "status": "complete",
                "url": None,
                "payment_status": "unpaid" if delayed else "paid",
                "payment_intent": pi_id,
                "customer_details": {
                    "address": dict(address),
                    "email": payer["email"],
                    "name": payer["name"],
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
                "collected_information": {"shipping_details": clone(shipping)},
                "shipping_details": clone(shipping),
            }
        )
        event = self.build_event("checkout.session.completed", clone(session))
        if send_webhook:
            self.deliver_event(event)
        if delayed and self.auto_settle_after is not None:
            timer = threading.Timer(self.auto_settle_after, self._auto_settle, args=(session_id, self._generation))
            timer.daemon = True
            timer.start()

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

    # -------------------------------------------------------------------- refunds

    def create_refund(self, params: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/refunds with decoded form params; sends charge.refunded."""
        for name in params:
            if name not in REFUND_CREATE_PARAMS:
                raise StripeError(f"Received unknown parameter: {name}", param=name)
        metadata = metadata_param(params.get("metadata"), "metadata")
        reason = string_param(params, "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise StripeError(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason")
        amount = integer_param(params, "amount")
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
        refund_id = new_id("re_")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn_"),
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": metadata,
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self.refunds[refund_id] = refund
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

    def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        with self._lock:
            if refund_id not in self.refunds:
                raise no_such("refund", refund_id)
            return clone(self.refunds[refund_id])

    def list_refunds(self, filters: dict[str, Any]) -> dict[str, Any]:
        limit = min(max(integer_param(filters, "limit") or 10, 1), 100)
        with self._lock:
            found = [
                r
                for r in self.refunds.values()
                if filters.get("payment_intent") in (None, r["payment_intent"])
                and filters.get("charge") in (None, r["charge"])
            ]
            found.sort(key=lambda r: r["created"], reverse=True)
            return {
                "object": "list",
                "data": clone(found[:limit]),
                "has_more": len(found) > limit,
                "url": "/v1/refunds",
            }

    def retrieve(self, kind: str, object_id: str) -> dict[str, Any]:
        stores = {"payment_intent": self.payment_intents, "charge": self.charges}
        with self._lock:
            if object_id not in stores[kind]:
                raise no_such(kind, object_id)
            return clone(stores[kind][object_id])

    # --------------------------------------------------------------------- events

    def build_event(
        self, type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:  # noqa: A002 - Stripe's field name
        """A Stripe event around a snapshot of `obj`; recorded in `emu.events`, not sent."""
        data: dict[str, Any] = {"object": clone(obj)}
        if previous_attributes is not None:
            data["previous_attributes"] = previous_attributes
        event = {
            "id": new_id("evt_"),
            "object": "event",
            "api_version": self.api_version,
            "created": self.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type,
        }
        with self._lock:
            self.record(self.events, event)
        return clone(event)

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        with self._lock:
            for event in self.events:
                if event["id"] == event_id:
                    return clone(event)
        raise no_such("event", event_id)

    def sign(self, payload: bytes, timestamp: int | None = None, secret: str | None = None) -> str:
        """The Stripe-Signature header value for `payload` (defaults: now, the webhook secret)."""
        return sign_payload(payload, secret or self.webhook_secret, timestamp)

    def send_event(
        self,
        event: dict[str, Any],
        *,
        url: str | None = None,
        secret: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> int:
        """POST one signed delivery of `event` now, in this thread; returns the HTTP status (0: unreachable).

        `secret`, `timestamp` and `signature` (the whole header) let a test forge a bad one.
        """
        target = url or self.webhook_url
        if not target:
            raise ValueError("No webhook URL: set emu.webhook_url or pass url=")
        payload = json.dumps(event).encode()
        header = signature if signature is not None else self.sign(payload, timestamp=timestamp, secret=secret)
        status = post_event(target, payload, header, self.delivery_timeout)
        with self._lock:
            self.record(self.deliveries, (event.get("id", ""), event.get("type", ""), status))
            self._deliveries_changed.notify_all()
        logger.log(self.log_level, "Stripe emulator: webhook %s %s -> %s", event.get("id"), event.get("type"), status)
        return status

    def deliver_event(self, event: dict[str, Any]) -> None:
        """Deliver `event` in a background thread, retrying non-2xx answers like Stripe (with short delays)."""
        if not self.webhook_url:
            return
        with self._lock:
            self._pending += 1
            generation = self._generation
        thread = threading.Thread(target=self._deliver_with_retries, args=(clone(event), generation), daemon=True)
        thread.start()

    def _deliver_with_retries(self, event: dict[str, Any], generation: int) -> None:
        try:
            for attempt in range(self.max_attempts):
                if generation != self._generation or self._stopping.is_set():
                    return
                url = self.webhook_url
                if not url:
                    return
                status = self.send_event(event, url=url)
                if 200 <= status < 300:
                    return
                if attempt + 1 < self.max_attempts and self._stopping.wait(self.retry_delay * 2**attempt):
                    return
            logger.warning("Stripe emulator: gave up on %s after %s attempts", event["id"], self.max_attempts)
        finally:
            with self._lock:
                if generation == self._generation:
                    self._pending -= 1
                    self._deliveries_changed.notify_all()

    def wait_for_deliveries(self, timeout: float = 15.0) -> list[tuple[str, str, int]]:
        """Block until every background delivery has succeeded or given up; returns `deliveries`.

        Raises TimeoutError if some are still retrying after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self._pending} webhook deliveries still pending after {timeout}s")
                self._deliveries_changed.wait(left)
            return list(self.deliveries)

    # -------------------------------------------------------------- test switches

    def fail_next(
        self, method: str, path: str, *, status: int = 500, times: int = 1, message: str | None = None
    ) -> None:
        """Make the next `times` API calls to `method path` (a prefix, e.g. "/v1/refunds") fail with `status`."""
        with self._lock:
            self._failures.append(
                {"method": method.upper(), "path": path, "status": status, "times": times, "message": message}
            )

    def _take_failure(self, method: str, path: str) -> StripeError | None:
        with self._lock:
            for failure in self._failures:
                if failure["method"] == method and path.startswith(failure["path"]) and failure["times"] > 0:
                    failure["times"] -= 1
                    status = failure["status"]
                    kind = "api_error" if status >= 500 else "invalid_request_error"
                    return StripeError(failure["message"] or f"Injected failure ({status}).", status=status, type=kind)
        return None


def prefilled_payer(session: dict[str, Any]) -> dict[str, str]:
    """What the hosted page shows before the payer types: the defaults, fitted to the session."""
    payer = dict(DEFAULT_PAYER)
    allowed = (session.get("shipping_address_collection") or {}).get("allowed_countries")
    if allowed and payer["country"] not in allowed:
        payer["country"] = allowed[0]
    if session.get("customer_email"):
        payer["email"] = session["customer_email"]
    return payer


def _payer(
    session: dict[str, Any], *, email: str | None, name: str | None, address: dict[str, str] | None
) -> dict[str, str]:
    payer = prefilled_payer(session)
    if email:
        payer["email"] = email
    if name:
        payer["name"] = name
    for key, value in (address or {}).items():
        if key in payer:
            payer[key] = value or ""
    return payer
