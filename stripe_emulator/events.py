"""Events and their webhooks: building an event, signing it, and sending it to
`webhook_url` now or in the background with retries (see delivery.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from .delivery import deliver_with_retries, post_event
from .objects import clone, event_object
from .params import no_such
from .signing import sign_payload
from .store import Store

logger = logging.getLogger("stripe_emulator")


class Events(Store):
    """Events recorded in `emu.events`; every delivery attempt in `emu.deliveries`."""

    def build_event(
        self, type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:  # noqa: A002 - Stripe's field name
        """A Stripe event around a snapshot of `obj`; recorded in `emu.events`, not sent."""
        event = event_object(
            type, obj, api_version=self.api_version, created=self.now(), previous_attributes=previous_attributes
        )
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
            deliver_with_retries(
                event,
                send=lambda event, url: self.send_event(event, url=url),
                webhook_url=lambda: self.webhook_url,
                wanted=lambda: generation == self._generation,
                stopping=self._stopping,
                max_attempts=self.max_attempts,
                retry_delay=self.retry_delay,
            )
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
