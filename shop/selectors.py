"""Reads that the pages, the API and the admin share."""

from django.db.models import Q

from shop.models import Cart, CartLine, Order


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
