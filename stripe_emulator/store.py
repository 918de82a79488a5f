"""The emulator's state: its settings, the Stripe objects it keeps, its logs,
and looking objects up (with `expand[]`).

All state lives behind one re-entrant lock, so concurrent requests (the shop
creating forty sessions at once) and the test thread's helpers never see a
half-made object. Objects are stored in Stripe's JSON shape and handed out as
copies. What changes them is in events.py, sessions.py and refunds.py.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from .objects import DEFAULT_API_VERSION, clone, list_object
from .params import StripeError, list_limit, no_such


class Store:
    """Settings, objects and logs of one emulator; the base of `StripeEmulator`."""

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
        clock_offset: int = 0,
        dunning_final_status: str = "canceled",
        retry_days: tuple[int, ...] = (3, 5, 7),
        upcoming_days: int = 7,
        latency: float = 0.0,
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
        # Billing: what an exhausted retry schedule leaves (canceled or unpaid), the days between
        # payment attempts of a renewal invoice, and how long before a yearly renewal invoice.upcoming comes.
        if dunning_final_status not in ("canceled", "unpaid"):
            raise ValueError("dunning_final_status must be 'canceled' or 'unpaid'")
        self.dunning_final_status = dunning_final_status
        self.retry_days = tuple(retry_days)
        self.upcoming_days = upcoming_days
        self.initial_clock_offset = int(clock_offset)
        # Seconds every /v1 answer waits before it is worked out, as Stripe's round trip takes
        # (benchmarks); the hosted pages and webhook deliveries do not wait.
        if latency < 0:
            raise ValueError("latency must not be negative")
        self.latency = float(latency)
        # INFO lines per API call and webhook attempt (the CLI turns this on); DEBUG otherwise
        self.log_level = logging.INFO if log_requests else logging.DEBUG

        self._lock = threading.RLock()
        self._deliveries_changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        # bumped by reset() and stop(): background work of an older generation is abandoned
        self._generation = 0
        self._init_state()

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
        # commerce: shipping rates, coupons, promotion codes, discounts, tax rates
        self.shipping_rates: dict[str, dict[str, Any]] = {}
        self.coupons: dict[str, dict[str, Any]] = {}
        self.promotion_codes: dict[str, dict[str, Any]] = {}
        self.discounts: dict[str, dict[str, Any]] = {}
        self.tax_rates: dict[str, dict[str, Any]] = {}
        self.breakdowns: dict[str, dict[str, Any]] = {}  # total_details.breakdown, returned when expanded
        # billing: catalog, customers, subscriptions, invoices, the customer portal
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.invoice_payments: dict[str, dict[str, Any]] = {}
        self.portal_configurations: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self._cards: dict[str, dict[str, Any]] = {}  # customer id -> {"payment_method", "failing"}
        self._billing: dict[str, dict[str, Any]] = {}  # subscription id -> schedule state (retries, notices)
        self._batch: list[dict[str, Any]] | None = None  # events of one operation, sent together in order
        self._clock_offset = self.initial_clock_offset
        self._frozen_now: int | None = None  # set while advance_clock runs what falls due

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

    def now(self) -> int:
        """The emulator's clock: Unix time in whole seconds, as Stripe stamps objects, moved on by
        `advance_clock` (clock.py). Every timestamp the emulator makes comes from here; only webhook
        signatures use the real time, since the receiver checks them against its own clock."""
        frozen = self._frozen_now
        return frozen if frozen is not None else int(time.time()) + self._clock_offset

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

    def _stores(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            "checkout.session": self.sessions,
            "payment_intent": self.payment_intents,
            "charge": self.charges,
            "refund": self.refunds,
            "shipping_rate": self.shipping_rates,
            "coupon": self.coupons,
            "promotion_code": self.promotion_codes,
            "discount": self.discounts,
            "tax_rate": self.tax_rates,
            "product": self.products,
            "price": self.prices,
            "customer": self.customers,
            "subscription": self.subscriptions,
            "invoice": self.invoices,
            "invoice_payment": self.invoice_payments,
            "billing_portal.configuration": self.portal_configurations,
            "billing_portal.session": self.portal_sessions,
        }

    def retrieve(self, kind: str, object_id: str) -> dict[str, Any]:
        """GET of one object by its kind (`"price"`, `"invoice"`, ...); 404 `resource_missing` if unknown."""
        store = self._stores()[kind]
        with self._lock:
            if object_id not in store:
                raise no_such(kind, object_id)
            return clone(store[object_id])

    def lookup(self, kind: str, object_id: str) -> dict[str, Any] | None:
        """A copy of a kept object by kind and id, or None (for parameter checks)."""
        with self._lock:
            found = self._stores()[kind].get(object_id)
            return clone(found) if found is not None else None

    def _find(self, object_id: str) -> dict[str, Any] | None:
        for store in self._stores().values():
            if object_id in store:
                return store[object_id]
        return None

    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        """A copy of `obj` with the `expand[]` paths replaced by the objects they name
        (`data.` paths expand each object of a list)."""
        result = clone(obj)
        with self._lock:
            for path in paths:
                parts = path.split(".")
                if result.get("object") == "list" and parts[0] == "data":
                    targets, parts = result["data"], parts[1:]
                else:
                    targets = [result]
                for target in targets:
                    self._expand_one(target, parts, path)
        return result

    def _expand_one(self, obj: dict[str, Any], parts: list[str], path: str) -> None:
        if parts == ["total_details", "breakdown"] and isinstance(obj.get("total_details"), dict):
            # includable, as in Stripe: only there when asked for
            empty = {"discounts": [], "taxes": []}
            obj["total_details"]["breakdown"] = clone(self.breakdowns.get(obj["id"], empty))
            return
        self._expand_path(obj, parts, path)

    def _expand_path(self, obj: dict[str, Any], parts: list[str], path: str) -> None:
        key, rest = parts[0], parts[1:]
        if key == "line_items" and obj.get("object") == "checkout.session":
            obj["line_items"] = self._line_items_list(obj["id"])
            return
        if key == "payments" and obj.get("object") == "invoice":
            obj["payments"] = self._invoice_payments_list(obj["id"])
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
        return list_object(items, f"/v1/checkout/sessions/{session_id}/line_items")

    def _invoice_payments_list(self, invoice_id: str) -> dict[str, Any]:
        found = [p for p in self.invoice_payments.values() if p["invoice"] == invoice_id]
        return list_object(clone(found), f"/v1/invoice_payments?invoice={invoice_id}")


def page_of(objects: list[dict[str, Any]], filters: dict[str, Any], url: str) -> dict[str, Any]:
    """One page of a Stripe list, newest first, with `limit`, `starting_after` and `ending_before`."""
    limit = list_limit(filters)
    ordered = sorted(enumerate(objects), key=lambda pair: (pair[1].get("created", 0), pair[0]), reverse=True)
    found = [obj for _, obj in ordered]
    ids = [obj.get("id") for obj in found]
    after, before = filters.get("starting_after"), filters.get("ending_before")
    if isinstance(after, str) and after in ids:
        found = found[ids.index(after) + 1 :]
    elif isinstance(before, str) and before in ids:
        found = found[: ids.index(before)]
        return list_object(clone(found[-limit:]), url, has_more=len(found) > limit)
    return list_object(clone(found[:limit]), url, has_more=len(found) > limit)
