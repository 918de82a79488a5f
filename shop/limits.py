"""Limits that keep one client from holding the stock or spending our Stripe calls (issue 10).

A client is its address as DRF's throttles see it (`REMOTE_ADDR`, or the `X-Forwarded-For` entry that
`NUM_PROXIES` names), kept only as a keyed hash. The counters are `core.ratelimits`' fixed windows in
Django's cache, atomic on a shared cache, so the limits hold across processes once the cache is shared.

Each limit is a setting, so a benchmark or a shop whose customers share one NAT address can lift it.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, OuterRef, Q, Subquery, Sum, Value, When
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
    locked (`select_for_update`), so two checkouts of one client are counted one after the other.

    The cap's "held" is `Product.reserved`, kept on the locked row (shop.stock), not a sum over every unpaid
    order's lines, which grew with them (issue 16). This client's and this email's own holds are read only
    when they could matter, from their recent unpaid orders alone (the partial indexes by client and by email)."""
    caps = {pk: reservation_cap(products[pk], products[pk].reserved) for pk in wanted}
    # No one holds more than all unpaid orders together: when even that leaves room, there is nothing to count.
    if all(products[pk].reserved + quantity <= caps[pk] for pk, quantity in wanted.items()):
        return
    held = _held_by(client=client, email=email, product_ids=list(wanted))
    for product_id, quantity in wanted.items():
        product, cap = products[product_id], caps[product_id]
        mine = held.get(product_id, 0)
        if mine + quantity > cap:
            held_now = f", and you already hold {mine} in unpaid checkouts" if mine else ""
            message = (
                f"At most {cap} × {product.name} can be reserved at a time{held_now}. "
                "Finish paying for or cancel an unpaid checkout first, or wait a few minutes for it to lapse."
            )
            raise _refuse("too_many_reserved", message, 409)


def _held_by(*, client: str, email: str, product_ids: list[int]) -> dict[int, int]:
    """Units of each product this client or this email holds in unpaid orders whose hold has not passed, the
    larger of the two. One query that starts from their own orders (the partial indexes by client and by email)
    and reads each one's lines by its order id: never the lines of everyone's orders of the product."""
    by_client = Q(client_hash=client) if client else Q(pk__in=[])
    theirs = Order.objects.filter(
        by_client | Q(email__iexact=email),
        status=Order.Status.PENDING_PAYMENT,
        created_at__gte=timezone.now() - reservation_hold(),
    )
    units = {
        f"units_{pk}": Subquery(
            OrderLine.objects.filter(order=OuterRef("pk"), product_id=pk)
            .values("order")
            .annotate(units=Sum("quantity"))
            .values("units")
        )
        for pk in product_ids
    }
    flags = {
        "is_client": Case(When(by_client, then=Value(True)), default=Value(False)),
        "is_email": Case(When(Q(email__iexact=email), then=Value(True)), default=Value(False)),
    }
    held = {pk: {"client": 0, "email": 0} for pk in product_ids}
    for row in theirs.annotate(**units, **flags).values(*units, *flags):
        for pk in product_ids:
            for whose in ("client", "email"):
                held[pk][whose] += (row[f"units_{pk}"] or 0) if row[f"is_{whose}"] else 0
    return {pk: max(counts.values()) for pk, counts in held.items()}
