"""`StripeEmulator`: the emulator's core (core.py) served over HTTP (server.py),
with a background sweep that expires sessions as Stripe's would.
"""

from __future__ import annotations

import logging
import threading

from .core import EmulatorCore
from .server import EmulatorServer

logger = logging.getLogger("stripe_emulator")


class StripeEmulator(EmulatorCore):
    """A local Stripe: start it, point `stripe.StripeClient(base_addresses={"api": emu.base_url})` at it.

    `webhook_url` may be None (events are recorded in `emu.events`, not sent)
    and may be changed at any time. Every delivery attempt is appended to
    `emu.deliveries` as `(event_id, event_type, status_code)`; status 0 means
    the webhook could not be reached.
    """

    _server: EmulatorServer | None = None
    _threads: tuple[threading.Thread, ...] = ()

    def start(self) -> StripeEmulator:
        """Serve in background threads; returns self. `base_url` is known afterwards."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = EmulatorServer((self.host, self.port), self)
        self.port = self._server.server_address[1]
        serve = threading.Thread(target=self._server.serve_forever, name="stripe-emulator", daemon=True)
        sweep = threading.Thread(target=self._sweep_forever, name="stripe-emulator-sweep", daemon=True)
        self._threads = (serve, sweep)
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
        self._threads = ()

    def __enter__(self) -> StripeEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _sweep_forever(self) -> None:
        while not self._stopping.wait(self.sweep_interval):
            try:
                self.sweep_expired()
            except Exception:  # the sweep must outlive a bug in one session
                logger.exception("Stripe emulator: expiry sweep failed")
