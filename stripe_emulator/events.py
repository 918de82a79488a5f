"""Events and their webhooks: building an event, signing it, and sending it to
`webhook_url` now or in the background with retries (see delivery.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

from .delivery import deliver_with_retries, post_event
from .objects import clone, event_object
from .params import no_such
from .signing import sign_payload
from .store import Store, page_of

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

    def emit(
        self, type: str, obj: dict[str, Any], *, previous_attributes: dict[str, Any] | None = None
    ) -> dict[str, Any]:  # noqa: A002 - Stripe's field name
        """Build an event and send it: with the batch of the operation under way (see `batch`), or now."""
        event = self.build_event(type, obj, previous_attributes=previous_attributes)
        with self._lock:
            if self._batch is not None:
                self._batch.append(event)
            else:
                self.deliver_event(event)
        return event

    @contextlib.contextmanager
    def batch(
        self, *, send: bool = True, shuffle: bool = False, duplicate: bool = False, seed: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Hold the lock and gather what `emit` sends during the block; send it afterwards, in order,
        on one delivery thread (or not at all when `send` is false). Nested blocks join the outer one."""
        with self._lock:
            if self._batch is not None:
                yield self._batch
                return
            self._batch = []
            try:
                yield self._batch
            finally:
                # sent even when the block raised: what was emitted did happen (an expiry before a refusal)
                events, self._batch = self._batch, None
                if send:
                    self.deliver_events(events, shuffle=shuffle, duplicate=duplicate, seed=seed)

    def deliver_events(
        self, events: list[dict[str, Any]], *, shuffle: bool = False, duplicate: bool = False, seed: int | None = None
    ) -> list[dict[str, Any]]:
        """Deliver `events` one after another on one background thread (first attempts in order; a
        failed one is retried on its own thread, as `deliver_event` would). `duplicate` sends each
        twice and `shuffle` mixes the order (seeded), as Stripe may; returns the order used."""
        order = [event for event in events for _ in range(2 if duplicate else 1)]
        if shuffle:
            random.Random(seed).shuffle(order)
        if not self.webhook_url or not order:
            return order
        with self._lock:
            self._pending += len(order)
            generation = self._generation
        thread = threading.Thread(target=self._deliver_in_order, args=(clone(order), generation), daemon=True)
        thread.start()
        return order

    def _deliver_in_order(self, events: list[dict[str, Any]], generation: int) -> None:
        for index, event in enumerate(events):
            url = self.webhook_url
            if generation != self._generation or self._stopping.is_set() or not url:
                with self._lock:
                    if generation == self._generation:
                        self._pending -= len(events) - index
                        self._deliveries_changed.notify_all()
                return
            if 200 <= self.send_event(event, url=url) < 300 or self.max_attempts <= 1:
                self._delivery_done(generation)
            else:
                retry = threading.Thread(target=self._deliver_with_retries, args=(event, generation, 1), daemon=True)
                retry.start()

    def _delivery_done(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._pending -= 1
                self._deliveries_changed.notify_all()

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        with self._lock:
            for event in self.events:
                if event["id"] == event_id:
                    return clone(event)
        raise no_such("event", event_id)

    def list_events(self, filters: dict[str, Any]) -> dict[str, Any]:
        """GET /v1/events, newest first; `type` (a `*` wildcard at the end allowed) and `types[]` filter."""
        kind = filters.get("type")
        kinds = filters.get("types") if isinstance(filters.get("types"), list) else None
        with self._lock:
            found = [
                e
                for e in self.events
                if (
                    not isinstance(kind, str)
                    or e["type"] == kind
                    or (kind.endswith("*") and e["type"].startswith(kind[:-1]))
                )
                and (kinds is None or e["type"] in kinds)
            ]
            return page_of(found, filters, "/v1/events")

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

    def _deliver_with_retries(self, event: dict[str, Any], generation: int, first_attempt: int = 0) -> None:
        try:
            deliver_with_retries(
                event,
                send=lambda event, url: self.send_event(event, url=url),
                webhook_url=lambda: self.webhook_url,
                wanted=lambda: generation == self._generation,
                stopping=self._stopping,
                max_attempts=self.max_attempts,
                retry_delay=self.retry_delay,
                first_attempt=first_attempt,
            )
        finally:
            self._delivery_done(generation)

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
