"""The admin home's figures (issue 15): sales, stock, members and lessons, each linking to the admin list
behind it.

A section is computed only for staff who may view its model (`ModelAdmin.has_view_permission`), and each one
is a fixed number of aggregate queries whatever the data's size. Money is summed per currency, never across
currencies. "The last 30 days" are 30 days of the shop's clock (TIME_ZONE), today included; a link filters the
list on the same instant (`paid_at__gte=…`), so its count is the figure's.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone

from billing.selectors import membership_figures
from core.charts import bar_chart
from programs.models import Delivery
from programs.selectors import lesson_counts, new_enrollment_counts
from shop.display import format_money
from shop.models import Order
from shop.selectors import checkout_conversion, order_counts, paid_and_refunded_by_day, promotion_revenue, stock_levels

WINDOW_DAYS = 30
STOCK_CHART_LIMIT = 20
PROMOTION_ROWS = 10
REFUNDED_STATUSES = (Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED)


@dataclass(frozen=True)
class Window:
    """The days the dashboard counts, as local dates and as the instants they start."""

    today: date
    days: list[date]  # the last WINDOW_DAYS days, oldest first
    since: datetime  # the first of them began
    week_since: datetime  # the last seven began
    today_since: datetime


@dataclass
class Figure:
    """One number on the dashboard: `key` names it in the page (`id="figure-<key>"`)."""

    key: str
    label: str
    value: str
    url: str = ""
    note: str = ""


@dataclass
class Section:
    figures: list[Figure] = field(default_factory=list)
    extra: dict = field(default_factory=dict)


def window_ending(today: date | None = None) -> Window:
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()

    def start_of(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone)

    first = today - timedelta(days=WINDOW_DAYS - 1)
    return Window(
        today=today,
        days=[first + timedelta(days=n) for n in range(WINDOW_DAYS)],
        since=start_of(first),
        week_since=start_of(today - timedelta(days=6)),
        today_since=start_of(today),
    )


def may_view(request, label: str) -> bool:
    """Whether the admin lists the model `label` ("shop.Order") to this user."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return False
    return admin.site.is_registered(model) and admin.site.get_model_admin(model).has_view_permission(request)


def changelist_url(label: str, **params) -> str:
    """The admin list of `label` filtered by `params` (filters the ModelAdmin accepts), or "" without one."""
    app_label, model_name = label.lower().split(".")
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(params)}" if params else url


def change_url(label: str, pk: int) -> str:
    app_label, model_name = label.lower().split(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _instant(moment: datetime) -> str:
    return moment.isoformat()


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.1'))} %"


# --- sales ------------------------------------------------------------------------------------------


def _revenue(window: Window) -> dict:
    """Per currency: paid, refunded and net totals, orders paid, and the net per day as a chart."""
    paid_rows, refund_rows = paid_and_refunded_by_day(since=window.since)
    orders: dict[str, int] = {}
    for row in paid_rows:
        orders[row["currency"]] = orders.get(row["currency"], 0) + row["orders"]
    currencies = sorted(  # the currency most orders are paid in first
        {row["currency"] for row in paid_rows} | {row["currency"] for row in refund_rows},
        key=lambda currency: (-orders.get(currency, 0), currency),
    )
    result = {}
    for currency in currencies:
        paid = {row["day"]: row["total"] for row in paid_rows if row["currency"] == currency}
        refunded = {row["day"]: row["total"] for row in refund_rows if row["currency"] == currency}
        zero = Decimal("0.00")
        net = [(day, paid.get(day, zero) - refunded.get(day, zero)) for day in window.days]
        result[currency] = {
            "paid": sum(paid.values(), zero),
            "refunded": sum(refunded.values(), zero),
            "orders": orders.get(currency, 0),
            "chart": bar_chart(
                [(dateformat.format(day, "j M"), amount) for day, amount in net],
                title=f"Revenue per day in {currency}, net of refunds, last {WINDOW_DAYS} days",
                unit=currency,
            ),
        }
        result[currency]["net"] = result[currency]["paid"] - result[currency]["refunded"]
    return result


def _money_figures(window: Window, revenue: dict) -> list[Figure]:
    since = _instant(window.since)
    figures = []
    for currency, money in revenue.items():
        paid_in = changelist_url("shop.Order", paid_at__gte=since, currency__exact=currency)
        figures.append(
            Figure(
                f"revenue-{currency.lower()}",
                f"net revenue, last {WINDOW_DAYS} days",
                format_money(money["net"], currency),
                paid_in,
                f"{format_money(money['paid'], currency)} paid, {format_money(money['refunded'], currency)} refunded",
            )
        )
        average = (money["paid"] / money["orders"]).quantize(Decimal("0.01")) if money["orders"] else None
        figures.append(
            Figure(
                f"average-order-{currency.lower()}",
                "average order (before refunds)",
                format_money(average, currency),
                paid_in,
                f"over {money['orders']} order{'s' if money['orders'] != 1 else ''} paid",
            )
        )
    return figures


def _order_figures(window: Window) -> tuple[list[Figure], list[Figure]]:
    """The headline order counts, and the orders paid in the window by their status now."""
    since = _instant(window.since)
    counts = order_counts(paid_since=window.since)
    conversion = checkout_conversion(since=window.since)
    by_status = counts["by_status"]
    refunded = sum(by_status[status] for status in REFUNDED_STATUSES)
    headline = [
        Figure(
            "orders-paid",
            f"orders paid, last {WINDOW_DAYS} days",
            str(counts["paid"]),
            changelist_url("shop.Order", paid_at__gte=since),
        ),
        Figure(
            "orders-to-ship",
            "orders to ship",
            str(counts["to_ship"]),
            changelist_url("shop.Order", status__exact=Order.Status.PAID),
        ),
        Figure(
            "orders-shipped",
            "of them shipped",
            str(by_status[Order.Status.SHIPPED]),
            changelist_url("shop.Order", paid_at__gte=since, status__exact=Order.Status.SHIPPED),
        ),
        Figure(
            "orders-refunded",
            "of them refunded (in part or in full)",
            str(refunded),
            changelist_url("shop.Order", paid_at__gte=since, status__in=",".join(REFUNDED_STATUSES)),
        ),
        Figure(
            "checkout-conversion",
            f"checkout conversion, last {WINDOW_DAYS} days",
            _percent(conversion["paid"], conversion["opened"]),
            changelist_url("shop.Order", created_at__gte=since, checkout_session_id__gt=""),
            f"{conversion['paid']} paid of {conversion['opened']} checkout sessions opened",
        ),
    ]
    status_figures = [
        Figure(
            f"status-{status}",
            label,
            str(by_status[status]),
            changelist_url("shop.Order", paid_at__gte=since, status__exact=status),
        )
        for status, label in Order.Status.choices
        if status != Order.Status.PENDING_PAYMENT
    ]
    return headline, status_figures


def _promotions(window: Window, request) -> tuple[list[Figure], list[dict]]:
    since = _instant(window.since)
    rows = promotion_revenue(since=window.since)
    totals: dict[str, dict] = {}
    for row in rows:
        total = totals.setdefault(row["currency"], {"revenue": Decimal("0.00"), "orders": 0})
        total["revenue"] += row["revenue"]
        total["orders"] += row["orders"]
    figures = [
        Figure(
            f"promotion-revenue-{currency.lower()}",
            f"paid with a promotion code, last {WINDOW_DAYS} days",
            format_money(total["revenue"], currency),
            changelist_url("shop.Order", paid_at__gte=since, promotion__isnull="False", currency__exact=currency),
            f"{total['orders']} order{'s' if total['orders'] != 1 else ''}, before refunds",
        )
        for currency, total in totals.items()
    ]
    codes_visible = may_view(request, "shop.PromotionCode")
    for row in rows:
        row["orders_url"] = changelist_url(
            "shop.Order", paid_at__gte=since, promotion__id__exact=row["promotion_id"], currency__exact=row["currency"]
        )
        row["code_url"] = change_url("shop.PromotionCode", row["promotion_id"]) if codes_visible else ""
        row["revenue_display"] = format_money(row["revenue"], row["currency"])
        row["discount_display"] = format_money(row["discount"], row["currency"])
    return figures, rows[:PROMOTION_ROWS]


def sales_section(request, window: Window) -> Section:
    revenue = _revenue(window)
    headline, by_status = _order_figures(window)
    promotion_figures, promotion_rows = _promotions(window, request)
    section = Section(figures=_money_figures(window, revenue) + headline + promotion_figures)
    section.extra = {
        "charts": [money["chart"] for money in revenue.values()],
        "by_status": by_status,
        "promotions": promotion_rows,
    }
    return section


# --- stock, members, lessons --------------------------------------------------------------------------


def stock_section() -> Section:
    products, counts = stock_levels(limit=STOCK_CHART_LIMIT)
    for product in products:
        product.admin_url = change_url("shop.Product", product.pk)
    figures = [
        Figure(
            "products-low",
            "products low on stock",
            str(counts["low"]),
            changelist_url("shop.Product", is_active__exact="1", stock_level="low"),
            f"of {counts['on_sale']} on sale",
        ),
    ]
    chart = bar_chart(
        [(product.name, product.stock) for product in products],
        title="Stock left, the products nearest their low-stock threshold first",
        unit="units",
    )
    low = [product for product in products if product.is_low_on_stock]
    return Section(figures=figures, extra={"chart": chart, "low": low, "more_low": counts["low"] - len(low)})


def membership_section() -> Section:
    figures = membership_figures()
    section = Section(
        figures=[
            Figure(
                "members",
                "members with access",
                str(figures.members),
                changelist_url("billing.Subscription", has_access__exact="1"),
            ),
        ]
    )
    paying = changelist_url("billing.Subscription", status__in="active,past_due")
    for currency, amount in figures.mrr:
        section.figures.append(
            Figure(f"mrr-{currency.lower()}", "monthly recurring revenue", format_money(amount, currency), paying)
        )
    churn = f"{figures.churn} %" if figures.churn is not None else "—"
    section.figures.append(
        Figure("churn", "churn this month", churn, note=f"of {figures.active_at_month_start} members on the 1st")
    )
    return section


def programs_section(request, window: Window) -> Section:
    enrollments = new_enrollment_counts(week_since=window.week_since, month_since=window.since)
    lessons = lesson_counts(sent_since=window.today_since)
    deliveries = may_view(request, "programs.Delivery")  # otherwise the list would answer 403
    return Section(
        figures=[
            Figure(
                "enrollments-week",
                "new enrollments, last 7 days",
                str(enrollments["week"]),
                changelist_url("programs.Enrollment", created_at__gte=_instant(window.week_since)),
            ),
            Figure(
                "enrollments-month",
                f"new enrollments, last {WINDOW_DAYS} days",
                str(enrollments["month"]),
                changelist_url("programs.Enrollment", created_at__gte=_instant(window.since)),
            ),
            Figure(
                "lessons-sent-today",
                "lessons sent today",
                str(lessons["sent"]),
                changelist_url(
                    "programs.Delivery",
                    status__exact=Delivery.Status.SENT,
                    sent_at__gte=_instant(window.today_since),
                )
                if deliveries
                else "",
            ),
            Figure(
                "lessons-failing",
                "lessons failing",
                str(lessons["failing"]),
                changelist_url("programs.Delivery", status__exact=Delivery.Status.FAILED)
                if deliveries
                else "#dash-failed",
            ),
        ]
    )


def build_dashboard(request, *, today: date | None = None) -> dict:
    """The sections this user may see, each computed only then: `sales`, `stock`, `members`, `programs`."""
    window = window_ending(today)
    sections = {"window": window}
    if may_view(request, "shop.Order"):
        sections["sales"] = sales_section(request, window)
    if may_view(request, "shop.Product"):
        sections["stock"] = stock_section()
    if may_view(request, "billing.Subscription"):
        sections["members"] = membership_section()
    if may_view(request, "programs.Enrollment"):
        sections["programs"] = programs_section(request, window)
    return sections
