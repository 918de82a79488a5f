"""The admin index's dashboard: what staff should look at first.

The figures of the business (hodhod.dashboard, issue 15) come first; then the work queues: orders
waiting to ship, failed lesson emails, orders flagged for a person. The queues look their models up by
name (`apps.get_model`) so they do not break while an app or a migration is missing. Each part is
computed only for staff who may view its model.
"""

from django import template
from django.apps import apps
from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from hodhod.dashboard import build_dashboard, may_view

register = template.Library()

LIMIT = 20


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _admin_url(name: str, *args, query: str = "") -> str:
    try:
        return reverse(f"admin:{name}", args=args) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return ""


def _orders_to_ship(today) -> dict | None:
    Order = _model("shop.Order")
    if Order is None:
        return None
    waiting = Order.objects.filter(status="paid").order_by("paid_at", "pk")
    rows = list(waiting[:LIMIT])
    for order in rows:
        order.admin_url = _admin_url("shop_order_change", order.pk)
        order.paid_today = bool(order.paid_at and timezone.localdate(order.paid_at) == today)
    return {
        "rows": rows,
        "count": waiting.count(),
        "paid_today": waiting.filter(paid_at__date=today).count(),
        "list_url": _admin_url("shop_order_changelist", query="status__exact=paid"),
    }


def _orders_needing_attention() -> dict | None:
    Order = _model("shop.Order")
    if Order is None or not any(f.name == "needs_attention" for f in Order._meta.get_fields()):
        return None
    flagged = Order.objects.filter(needs_attention=True).order_by("-updated_at")
    rows = list(flagged[:LIMIT])
    for order in rows:
        order.admin_url = _admin_url("shop_order_change", order.pk)
    return {"rows": rows, "count": flagged.count()}


def _failed_deliveries() -> dict | None:
    Delivery = _model("programs.Delivery")
    if Delivery is None:
        return None
    failed = Delivery.objects.filter(status="failed").select_related("enrollment", "step").order_by("-updated_at")
    rows = list(failed[:LIMIT])
    for delivery in rows:
        delivery.admin_url = _admin_url("programs_enrollment_change", delivery.enrollment_id)
    return {"rows": rows, "count": failed.count()}


@register.simple_tag(takes_context=True)
def admin_dashboard(context) -> dict:
    """`{% admin_dashboard as dashboard %}`: the figures (`sales`, `stock`, `members`, `programs`), then orders to
    ship, failed deliveries, flagged orders; each only for staff who may view its model."""
    request = context["request"]
    today = timezone.localdate()
    try:
        dashboard = build_dashboard(request, today=today)
    except DatabaseError:  # a table not migrated yet: show the work queues
        dashboard = {}
    dashboard["today"] = today
    may_see_orders = may_view(request, "shop.Order")
    for key, visible, read in (
        ("to_ship", may_see_orders, lambda: _orders_to_ship(today)),
        ("failed_deliveries", may_view(request, "programs.Enrollment"), _failed_deliveries),
        ("attention", may_see_orders, _orders_needing_attention),
    ):
        try:
            dashboard[key] = read() if visible else None
        except DatabaseError:  # a table not migrated yet: show the rest
            dashboard[key] = None
    return dashboard
