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
from .params import StripeError, no_such


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
        """The emulator's clock: Unix time in whole seconds, as Stripe stamps objects."""
        return int(time.time())

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

    def retrieve(self, kind: str, object_id: str) -> dict[str, Any]:
        stores = {"payment_intent": self.payment_intents, "charge": self.charges}
        with self._lock:
            if object_id not in stores[kind]:
                raise no_such(kind, object_id)
            return clone(stores[kind][object_id])

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
        return list_object(items, f"/v1/checkout/sessions/{session_id}/line_items")
