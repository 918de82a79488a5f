"""Limits that keep one client from holding the stock or spending our Stripe calls (issue 10).

A client is its address as DRF's throttles see it (`REMOTE_ADDR`, or the `X-Forwarded-For` entry that
`NUM_PROXIES` names), kept only as a keyed hash. The counters are `core.ratelimits`' fixed windows in
Django's cache, atomic on a shared cache, so the limits hold across processes once the cache is shared.

Each limit is a setting, so a benchmark or a shop whose customers share one NAT address can lift it.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from core.ratelimits import client_address, in_minutes, keyed_hash, take_hit
from shop.models import Order, OrderLine, Product
from shop.orders import CheckoutError

# The limits are settings (hodhod/settings.py reads them from the environment; the README lists them).
LIMIT_SETTINGS = (
    "SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR",
    "SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR",
    "SHOP_MAX_RESERVED_UNITS",
    "SHOP_MAX_RESERVED_SHARE",
    "SHOP_RESERVATION_MINUTES",
    "SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE",
)


def limit(name: str) -> float:
    """The limit setting `name` (one of LIMIT_SETTINGS)."""
    if name not in LIMIT_SETTINGS:
        raise KeyError(name)
    return float(getattr(settings, name))


def client_hash(request) -> str:
    """A keyed hash of the client's address: enough to count one client's orders, not to recover it."""
    return keyed_hash("shop.client", client_address(request))


def email_hash(email: str) -> str:
    return keyed_hash("shop.email", email)


def reservation_hold() -> timedelta:
    """How long an unpaid order holds its units (SHOP_RESERVATION_MINUTES); reconciliation expires it after."""
    return timedelta(minutes=limit("SHOP_RESERVATION_MINUTES"))


def _refuse(code: str, message: str, status_code: int, wait: int = 0) -> CheckoutError:
    error = CheckoutError(code, message, status_code)
    if wait:
        error.wait = wait  # the API answers it as Retry-After (core.api), the page too
    return error


def take_checkout_slot(*, client: str, email: str) -> None:
    """Count one checkout of this client (a `client_hash`; "" when there is no request) and this email;
    CheckoutError `too_many_checkouts` (429) past SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR or _PER_EMAIL_PER_HOUR."""
    if client:
        wait = take_hit(
            "checkout_client", client, allowed=limit("SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR"), per_seconds=3600
        )
        if wait:
            message = f"Too many checkouts from your connection in the last hour; try again in {in_minutes(wait)}."
            raise _refuse("too_many_checkouts", message, 429, wait)
    wait = take_hit(
        "checkout_email", email_hash(email), allowed=limit("SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR"), per_seconds=3600
    )
    if wait:
        message = f"Too many checkouts for this email address in the last hour; try again in {in_minutes(wait)}."
        raise _refuse("too_many_checkouts", message, 429, wait)


def reservation_cap(product: Product, held_by_all: int) -> int:
    """The units of `product` one client or one email may hold: SHOP_MAX_RESERVED_UNITS, and at most
    SHOP_MAX_RESERVED_SHARE of its stock (on hand and held), but never less than one unit."""
    share = math.floor(limit("SHOP_MAX_RESERVED_SHARE") * (product.stock + held_by_all))
    return max(1, min(int(limit("SHOP_MAX_RESERVED_UNITS")), share))


def check_reservation_caps(*, wanted: dict[int, int], products: dict[int, Product], client: str, email: str) -> None:
    """Refuse (`too_many_reserved`, 409) units that would leave this client or this email holding more of a
    product than its `reservation_cap` in unpaid orders whose hold has not passed. Call with the products
    locked (`select_for_update`), so two checkouts of one client are counted one after the other."""
    recent = Q(order__created_at__gte=timezone.now() - reservation_hold())
    by_client = Q(order__client_hash=client) if client else Q(pk__in=[])
    held = {
        row["product_id"]: row
        for row in OrderLine.objects.filter(product_id__in=wanted, order__status=Order.Status.PENDING_PAYMENT)
        .values("product_id")
        .annotate(
            by_all=Sum("quantity"),
            by_client=Sum("quantity", filter=recent & by_client, default=0),
            by_email=Sum("quantity", filter=recent & Q(order__email__iexact=email), default=0),
        )
    }
    for product_id, quantity in wanted.items():
        row = held.get(product_id, {"by_all": 0, "by_client": 0, "by_email": 0})
        product = products[product_id]
        cap = reservation_cap(product, row["by_all"])
        mine = max(row["by_client"], row["by_email"])
        if mine + quantity > cap:
            held_now = f", and you already hold {mine} in unpaid checkouts" if mine else ""
            message = (
                f"At most {cap} × {product.name} can be reserved at a time{held_now}. "
                "Finish paying for or cancel an unpaid checkout first, or wait a few minutes for it to lapse."
            )
            raise _refuse("too_many_reserved", message, 409)
