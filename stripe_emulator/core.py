"""The emulator without its HTTP server: Checkout Sessions, Refunds and the
events they cause (each in its own module), plus the switches a test flips.

server.py answers requests with an `EmulatorCore`; emulator.py adds the server
and the background threads to it.
"""

from __future__ import annotations

from .params import StripeError
from .refunds import Refunds
from .sessions import CheckoutSessions


class EmulatorCore(CheckoutSessions, Refunds):
    """Stripe's state and behaviour, called by the HTTP layer and by tests."""

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
