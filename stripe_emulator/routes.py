"""The /v1 endpoints the emulator answers: method, path pattern, and the core method that answers.

Each handler takes `(emulator, object id from the path, decoded params)`. A path that matches with
another method gets Stripe's "Unsupported method" 404; one that matches nothing "Unrecognized request URL".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, str, dict[str, Any]], Any]

_ID = r"(?P<id>[^/]+)"


_TABLE: list[tuple[str, str, Handler]] = [
    # Checkout
    ("GET", "/v1/checkout/sessions", lambda e, i, p: e.list_sessions(p)),
    ("POST", "/v1/checkout/sessions", lambda e, i, p: e.create_session(p)),
    ("GET", f"/v1/checkout/sessions/{_ID}", lambda e, i, p: e.retrieve_session(i)),
    ("POST", f"/v1/checkout/sessions/{_ID}/expire", lambda e, i, p: e.expire_session(i)),
    ("GET", f"/v1/checkout/sessions/{_ID}/line_items", lambda e, i, p: e.session_line_items_list(i, p)),
    ("POST", "/v1/shipping_rates", lambda e, i, p: e.create_shipping_rate(p)),
    ("GET", "/v1/shipping_rates", lambda e, i, p: e.list_shipping_rates(p)),
    ("GET", f"/v1/shipping_rates/{_ID}", lambda e, i, p: e.retrieve("shipping_rate", i)),
    # Payments
    ("GET", "/v1/refunds", lambda e, i, p: e.list_refunds(p)),
    ("POST", "/v1/refunds", lambda e, i, p: e.create_refund(p)),
    ("GET", f"/v1/refunds/{_ID}", lambda e, i, p: e.retrieve_refund(i)),
    ("GET", f"/v1/payment_intents/{_ID}", lambda e, i, p: e.retrieve("payment_intent", i)),
    ("GET", f"/v1/charges/{_ID}", lambda e, i, p: e.retrieve("charge", i)),
    ("GET", "/v1/events", lambda e, i, p: e.list_events(p)),
    ("GET", f"/v1/events/{_ID}", lambda e, i, p: e.retrieve_event(i)),
    # Discounts
    ("POST", "/v1/coupons", lambda e, i, p: e.create_coupon(p)),
    ("GET", "/v1/coupons", lambda e, i, p: e.list_coupons(p)),
    ("GET", f"/v1/coupons/{_ID}", lambda e, i, p: e.retrieve_coupon(i)),
    ("POST", f"/v1/coupons/{_ID}", lambda e, i, p: e.update_coupon(i, p)),
    ("DELETE", f"/v1/coupons/{_ID}", lambda e, i, p: e.delete_coupon(i)),
    ("POST", "/v1/promotion_codes", lambda e, i, p: e.create_promotion_code(p)),
    ("GET", "/v1/promotion_codes", lambda e, i, p: e.list_promotion_codes(p)),
    ("GET", f"/v1/promotion_codes/{_ID}", lambda e, i, p: e.retrieve_promotion_code(i)),
    ("POST", f"/v1/promotion_codes/{_ID}", lambda e, i, p: e.update_promotion_code(i, p)),
    # Catalog and customers
    ("POST", "/v1/products", lambda e, i, p: e.create_product(p)),
    ("GET", "/v1/products", lambda e, i, p: e.list_products(p)),
    ("GET", f"/v1/products/{_ID}", lambda e, i, p: e.retrieve("product", i)),
    ("POST", f"/v1/products/{_ID}", lambda e, i, p: e.update_product(i, p)),
    ("DELETE", f"/v1/products/{_ID}", lambda e, i, p: e.delete_product(i)),
    ("POST", "/v1/prices", lambda e, i, p: e.create_price(p)),
    ("GET", "/v1/prices", lambda e, i, p: e.list_prices(p)),
    ("GET", f"/v1/prices/{_ID}", lambda e, i, p: e.retrieve("price", i)),
    ("POST", f"/v1/prices/{_ID}", lambda e, i, p: e.update_price(i, p)),
    ("POST", "/v1/customers", lambda e, i, p: e.create_customer(p)),
    ("GET", "/v1/customers", lambda e, i, p: e.list_customers(p)),
    ("GET", f"/v1/customers/{_ID}", lambda e, i, p: e.retrieve_customer(i)),
    ("POST", f"/v1/customers/{_ID}", lambda e, i, p: e.update_customer(i, p)),
    ("DELETE", f"/v1/customers/{_ID}", lambda e, i, p: e.delete_customer(i)),
    # Billing
    ("GET", "/v1/subscriptions", lambda e, i, p: e.list_subscriptions(p)),
    ("GET", f"/v1/subscriptions/{_ID}", lambda e, i, p: e.retrieve("subscription", i)),
    ("POST", f"/v1/subscriptions/{_ID}", lambda e, i, p: e.update_subscription(i, p)),
    ("DELETE", f"/v1/subscriptions/{_ID}", lambda e, i, p: e.cancel_subscription(i, p)),
    ("GET", "/v1/invoices", lambda e, i, p: e.list_invoices(p)),
    ("GET", f"/v1/invoices/{_ID}", lambda e, i, p: e.retrieve("invoice", i)),
    ("GET", f"/v1/invoices/{_ID}/lines", lambda e, i, p: e.list_invoice_lines(i, p)),
    ("POST", f"/v1/invoices/{_ID}/pay", lambda e, i, p: e.pay_invoice(i, p)),
    ("GET", "/v1/invoice_payments", lambda e, i, p: e.list_invoice_payments(p)),
    ("GET", f"/v1/invoice_payments/{_ID}", lambda e, i, p: e.retrieve("invoice_payment", i)),
    ("POST", "/v1/billing_portal/configurations", lambda e, i, p: e.create_portal_configuration(p)),
    ("GET", "/v1/billing_portal/configurations", lambda e, i, p: e.list_portal_configurations(p)),
    (
        "GET",
        f"/v1/billing_portal/configurations/{_ID}",
        lambda e, i, p: e.retrieve("billing_portal.configuration", i),
    ),
    ("POST", f"/v1/billing_portal/configurations/{_ID}", lambda e, i, p: e.update_portal_configuration(i, p)),
    ("POST", "/v1/billing_portal/sessions", lambda e, i, p: e.create_portal_session(p)),
]

ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in _TABLE
]


def find_route(method: str, path: str) -> tuple[Handler | None, str, bool]:
    """`(handler, object id, whether the path is known at all)` for a request."""
    known = False
    for route_method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if not match:
            continue
        known = True
        if route_method == method:
            return handler, match.groupdict().get("id") or "", True
    return None, "", known
