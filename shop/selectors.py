"""Reads that the pages, the API and the admin share."""

from datetime import datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from shop.models import Cart, CartLine, Order, Product, Refund


def order_for_token(token: str) -> Order | None:
    """The order this secret link opens (lines prefetched), or None. Order numbers open nothing."""
    return Order.objects.for_display().filter(token=token).first()


def order_page_for_token(token: str) -> Order | None:
    """The order as its status page shows it: lines, history and refunds prefetched (four queries)."""
    return Order.objects.for_display().prefetch_related("events", "refunds").filter(token=token).first()


def order_for_session_id(session_id: str) -> Order | None:
    """The order a Checkout Session belongs to: its own session, or the one Stripe recovered that paid it."""
    found = Order.objects.for_display().filter(Q(checkout_session_id=session_id) | Q(recovery_session_id=session_id))
    return found.first()


def cart_line(cart: Cart, line_id: int) -> CartLine | None:
    return CartLine.objects.filter(cart=cart, pk=line_id).select_related("product").first()


# --- the admin dashboard's figures (issue 15): each a fixed number of aggregate queries -----------------


def paid_and_refunded_by_day(*, since: datetime) -> tuple[list[dict], list[dict]]:
    """Money in and out per local day and currency since `since`, two queries: rows `{day, currency, total,
    orders}` of the orders paid (by when they were paid, whatever their status now: a cancelled order paid late
    is money in until it is refunded), and rows `{day, currency, total}` of the refunds that count (by when
    they were made). Served by the partial index on `paid_at`."""
    paid = (
        Order.objects.filter(paid_at__gte=since)
        .annotate(day=TruncDate("paid_at"))
        .values("day", "currency")
        .annotate(total=Sum("total"), orders=Count("pk"))
        .order_by("day", "currency")
    )
    refunded = (
        Refund.objects.filter(created_at__gte=since, status__in=Refund.COUNTED_STATUSES)
        .annotate(day=TruncDate("created_at"))
        .values("day", "currency")
        .annotate(total=Sum("amount"))
        .order_by("day", "currency")
    )
    return list(paid), list(refunded)


def order_counts(*, paid_since: datetime) -> dict:
    """`paid`: orders paid since `paid_since`; `by_status`: how many of those are in each status now;
    `to_ship`: every order paid and not shipped yet, however old. One query."""
    recent = Q(paid_at__gte=paid_since)
    per_status = {f"status_{status}": Count("pk", filter=recent & Q(status=status)) for status in Order.Status.values}
    counts = Order.objects.filter(recent | Q(status=Order.Status.PAID)).aggregate(
        paid=Count("pk", filter=recent), to_ship=Count("pk", filter=Q(status=Order.Status.PAID)), **per_status
    )
    by_status = {status: counts.pop(f"status_{status}") for status in Order.Status.values}
    return {**counts, "by_status": by_status}


def checkout_conversion(*, since: datetime) -> dict[str, int]:
    """`opened`: orders placed since `since` that got a Stripe Checkout Session; `paid`: how many of those were
    paid. One query, on the `created_at` index."""
    return (
        Order.objects.filter(created_at__gte=since)
        .exclude(checkout_session_id="")
        .aggregate(opened=Count("pk"), paid=Count("pk", filter=Q(paid_at__isnull=False)))
    )


def promotion_revenue(*, since: datetime, limit: int = 10) -> list[dict]:
    """Per promotion code and currency, the orders paid since `since` with it: rows `{promotion_id,
    promotion__code, currency, orders, revenue, discount}`, the largest revenue first (at most `limit`). What
    the orders paid, before refunds. One query."""
    rows = (
        Order.objects.filter(paid_at__gte=since, promotion__isnull=False)
        .values("promotion_id", "promotion__code", "currency")
        .annotate(orders=Count("pk"), revenue=Sum("total"), discount=Sum("discount_total"))
        .order_by("-revenue", "promotion__code")
    )
    return list(rows[:limit])


def stock_levels(*, limit: int = 20) -> tuple[list[Product], dict[str, int]]:
    """The products on sale nearest their low-stock threshold first (at most `limit`), and the counts `on_sale`
    and `low` (on sale and at or below the threshold). Two queries."""
    margin = F("stock") - F("low_stock_threshold")
    products = list(Product.objects.on_sale().annotate(margin=margin).order_by("margin", "name")[:limit])
    counts = Product.objects.on_sale().aggregate(
        on_sale=Count("pk"), low=Count("pk", filter=Q(stock__lte=F("low_stock_threshold")))
    )
    return products, counts
