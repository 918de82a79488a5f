"""The emulator without its HTTP server: each part of Stripe in its own module, joined here,
plus the switches a test flips.

Commerce: Checkout Sessions (sessions.py, checkout_pay.py), refunds, coupons and promotion codes
(promotions.py), the catalog (catalog.py) and customers. Billing: subscriptions (with plan_changes.py),
invoices, the clock that renews them (clock.py) and the customer portal (portal.py). The parts call
each other through `self`; none imports another. server.py answers requests with an `EmulatorCore`;
emulator.py adds the server and the background threads to it.
"""

from __future__ import annotations

from .catalog import Catalog
from .checkout_pay import CheckoutPayments
from .clock import Clock
from .customers import Customers
from .invoices import Invoices
from .params import StripeError
from .plan_changes import PlanChanges
from .portal import Portal
from .promotions import Promotions
from .refunds import Refunds
from .sessions import CheckoutSessions
from .subscriptions import Subscriptions


class EmulatorCore(
    CheckoutSessions,
    CheckoutPayments,
    Refunds,
    Promotions,
    Catalog,
    Customers,
    Subscriptions,
    PlanChanges,
    Invoices,
    Clock,
    Portal,
):
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
