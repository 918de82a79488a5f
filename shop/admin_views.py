"""The order's own staff pages beside its change form (issue 11, items 10 and 11; issue 12): ship it, refund
it, receive a return, print its packing slip, print the slips of a selection.

Each is a GET page; the ship, refund and return forms POST back to their own page (the admin site's
`admin_view` wraps them: staff only, CSRF-protected, never cached). Each checks its own permission:
shipping needs `change_order`, a refund `shop.refund_order`, a return `shop.receive_return` (which refunds
the returned units through Stripe: a permission of its own, given to whoever unpacks returns), a packing
slip `view_order`. A refused change keeps the form as it was typed, with the reason beside it.
"""

import re
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from shop import refunds, returns, staff
from shop.display import format_money
from shop.models import Order, OrderLine
from shop.orders import OrderError

MAX_SLIPS = 200  # one print run; more is a mistake, not a morning's parcels
SLIP_IDS = re.compile(rf"\d{{1,12}}(,\d{{1,12}}){{0,{MAX_SLIPS - 1}}}")


class ShipForm(forms.Form):
    carrier = forms.CharField(max_length=100, initial="USPS")
    tracking_number = forms.CharField(max_length=100)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"required": "Enter the amount to refund: nothing is refunded without one."},
    )
    reason = forms.ChoiceField(choices=list(refunds.REFUND_REASONS.items()), initial="requested_by_customer")
    note = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the order's history; only staff see it.",
    )

    def __init__(self, *args, order: Order, remaining: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Amount ({order.currency})"
        self.fields[
            "amount"
        ].help_text = f"At most {format_money(remaining, order.currency)}, what is not refunded yet."


class ReturnForm(forms.Form):
    """Per line still out: the units that came back, and how many of them are damaged (not restocked)."""

    shop_at_fault = forms.BooleanField(
        required=False,
        label="We were at fault",
        help_text="Wrong item sent, or it arrived damaged or faulty: the shipping is refunded too.",
    )
    note = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Only staff see it."
    )

    def __init__(self, *args, order: Order, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in lines if line.quantity > line.returned_quantity]
        for line in self.lines:
            left = line.quantity - line.returned_quantity
            paid = format_money(returns.paid_for_units(order, lines, {line.pk: 1}), order.currency)
            self.fields[f"returned_{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name}: units received",
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                help_text=f"At most {left}; {paid} was paid for each.",
            )
            self.fields[f"damaged_{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name}: of which damaged",
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                help_text="Not put back in stock.",
            )
        self.order_fields([name for name in self.fields if name not in ("shop_at_fault", "note")])

    def quantities(self) -> tuple[dict[int, int], dict[int, int]]:
        data = self.cleaned_data
        returned = {line.pk: data.get(f"returned_{line.pk}") or 0 for line in self.lines}
        return returned, {line.pk: data.get(f"damaged_{line.pk}") or 0 for line in self.lines}


def _order_or_404(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> Order:
    order = model_admin.get_object(request, object_id)  # None for a malformed id as for an unknown one
    if order is None:
        raise Http404("No order has this id.")
    return order


def _change_page(order: Order) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:shop_order_change", args=[order.pk]))


def _page(
    model_admin: admin.ModelAdmin, request: HttpRequest, template: str, status: int = 200, **context
) -> TemplateResponse:
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **context}
    return TemplateResponse(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def ship_order(request: HttpRequest, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    order = _order_or_404(model_admin, request, object_id)
    if not model_admin.has_change_permission(request, order):
        raise PermissionDenied
    if order.status != Order.Status.PAID:
        status = order.get_status_display().lower()
        messages.warning(request, f"Order {order.number} is {status}: only a paid order can be shipped.")
        return _change_page(order)
    form = ShipForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            staff.mark_shipped(order=order, user=request.user, **form.cleaned_data)
        except OrderError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Order {order.number} is marked shipped; the customer was emailed.")
            return _change_page(order)
    return _page(
        model_admin,
        request,
        "admin/shop/order/mark_shipped.html",
        title=f"Ship order {order.number}",
        order=order,
        form=form,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def refund_order(request: HttpRequest, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    order = _order_or_404(model_admin, request, object_id)
    if not (request.user.has_perm("shop.refund_order") and model_admin.has_view_permission(request, order)):
        raise PermissionDenied
    if not refunds.is_refundable(order):
        messages.warning(request, f"Order {order.number} is {order.get_status_display().lower()}: nothing to refund.")
        return _change_page(order)
    refunded = order.refunded_total or Decimal("0.00")  # annotated by the admin's queryset
    remaining = order.total - refunded
    form = RefundForm(request.POST if request.method == "POST" else None, order=order, remaining=remaining)
    if form.is_valid():
        data = form.cleaned_data
        try:
            refund = refunds.refund_order(
                order=order, amount=data["amount"], user=request.user, reason=data["reason"], note=data["note"]
            )
        except OrderError as error:
            form.add_error("amount" if error.code == "invalid_amount" else None, error.message)
        else:
            amount = format_money(refund.amount, refund.currency)
            messages.success(
                request, f"Refunded {amount} of order {order.number} through Stripe; the customer is emailed."
            )
            return _change_page(order)
    return _page(
        model_admin,
        request,
        "admin/shop/order/refund.html",
        title=f"Refund order {order.number}",
        order=order,
        form=form,
        total=format_money(order.total, order.currency),
        refunded=format_money(refunded, order.currency),
        remaining=format_money(remaining, order.currency),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def receive_return(request: HttpRequest, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    order = _order_or_404(model_admin, request, object_id)
    if not (request.user.has_perm("shop.receive_return") and model_admin.has_view_permission(request, order)):
        raise PermissionDenied
    lines = list(order.lines.order_by("pk"))
    if order.status not in returns.RETURNABLE_STATUSES or all(
        line.returned_quantity >= line.quantity for line in lines
    ):
        messages.warning(request, f"Order {order.number} has nothing that can come back.")
        return _change_page(order)
    form = ReturnForm(request.POST if request.method == "POST" else None, order=order, lines=lines)
    if form.is_valid():
        returned, damaged = form.quantities()
        try:
            received = returns.receive_return(
                order=order,
                quantities=returned,
                damaged=damaged,
                shop_at_fault=form.cleaned_data["shop_at_fault"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
        except OrderError as error:
            form.add_error(None, error.message)
        else:
            refunded = format_money(received.refund_amount, order.currency)
            messages.success(
                request, f"Return of order {order.number} received; {refunded} refunded, the customer is emailed."
            )
            return _change_page(order)
    return _page(
        model_admin,
        request,
        "admin/shop/order/return.html",
        title=f"Receive a return of order {order.number}",
        order=order,
        form=form,
        paid=format_money(order.total, order.currency),
        refunded=format_money(order.refunded_total or 0, order.currency),
    )


def _slips(request: HttpRequest, orders: list[Order], back: str) -> TemplateResponse:
    return TemplateResponse(request, "admin/shop/order/packing_slip.html", {"orders": orders, "back_url": back})


@require_safe
def packing_slip(request: HttpRequest, model_admin: admin.ModelAdmin, object_id: str) -> HttpResponse:
    """One order's packing slip: a printable page of its own, reloadable, bookmarkable."""
    order = _order_or_404(model_admin, request, object_id)
    if not model_admin.has_view_permission(request, order):
        raise PermissionDenied
    return _slips(request, [order], reverse("admin:shop_order_change", args=[order.pk]))


@require_safe
def packing_slips(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """The slips of a selection, `?ids=3,5,8` (what the changelist's action redirects to), oldest first."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    raw = request.GET.get("ids", "")
    changelist = reverse("admin:shop_order_changelist")
    if not SLIP_IDS.fullmatch(raw):
        reason = f"Choose between 1 and {MAX_SLIPS} orders in the list, then “Print packing slips”."
        return _page(
            model_admin,
            request,
            "admin/shop/order/slips_refused.html",
            status=400,
            title="No packing slips to print",
            reason=reason,
            back_url=changelist,
        )
    ids = {int(part) for part in raw.split(",")}
    orders = list(model_admin.get_queryset(request).filter(pk__in=ids).prefetch_related("lines").order_by("created_at"))
    if not orders:
        raise Http404("None of these orders exists.")
    return _slips(request, orders, changelist)
