"""Staff tools: catalog with stock, orders (read-only money and lines), fulfilment, refunds, returns, exports.

Shipping, refunding, receiving a return and printing an order's packing slip are pages of the order itself
(shop.admin_views), reached from buttons on its change page; the list's actions for them lead there.
Money reads "59.00 USD" and times carry their zone everywhere here (shop.display). Shipping rates and
promotion codes: shop.admin_pricing; the rows under an order: shop.admin_inlines.
"""

import io

from django.contrib import admin, messages
from django.db.models import Count, F
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from shop import admin_pricing, admin_views, refunds, returns, staff  # noqa: F401 - admin_pricing registers
from shop.addresses import format_address
from shop.admin_inlines import (
    CartLineInline,
    OrderEmailInline,
    OrderEventInline,
    OrderLineInline,
    RefundInline,
    zoned_time,
)
from shop.admin_stock import ProductAdminForm, ProductGone, save_product_edit
from shop.display import format_money
from shop.exports import write_orders_csv
from shop.models import Cart, Order, OrderEmail, Product
from shop.orders import OrderError

LIST_CSS = {"all": ["admin/shop/lists.css"]}
# The order's money as Stripe settled it (issue 12): subtotal - discount + shipping + tax = total.
MONEY_FIELDS = ["subtotal_display", "discount_display", "shipping_display", "tax_display", "total_display"]


class StockLevelFilter(admin.SimpleListFilter):
    title = "stock level"
    parameter_name = "stock_level"

    def lookups(self, request, model_admin):
        return [("sold_out", "Sold out"), ("low", "Low (at or below threshold)")]

    def queryset(self, request, queryset):
        if self.value() == "sold_out":
            return queryset.filter(stock=0)
        if self.value() == "low":
            return queryset.filter(stock__lte=F("low_stock_threshold"))
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductAdminForm  # a stock edit is applied as a change to the stock of the moment (shop.admin_stock)
    list_display = ["name", "sku", "price_display", "stock", "stock_state", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", StockLevelFilter, "currency"]
    search_fields = ["name", "sku", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "sku", "description", "is_active", "position"]}),
        ("Price", {"fields": ["price", "currency"]}),
        ("Stock", {"fields": ["stock", "low_stock_threshold"]}),
        ("Image", {"fields": ["image_url", "image_alt"]}),
    ]

    class Media:
        css = LIST_CSS

    def get_fieldsets(self, request, obj=None):
        if obj is None or not self.has_change_permission(request, obj):
            return self.fieldsets
        # The stock the page shows, posted back hidden: a save applies the change made to it (shop.admin_stock).
        return [
            (name, {"fields": [*opts["fields"], "stock_seen"]}) if name == "Stock" else (name, opts)
            for name, opts in self.fieldsets
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ProductGone:  # deleted by someone else while this form was open; the save rolled back
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        # Only what the form changed (the list's editable columns too): what the shop wrote meanwhile stays.
        edit = save_product_edit(product=obj, changed=form.changed_data, stock_seen=form.cleaned_data.get("stock_seen"))
        form.stock_edit = edit  # for the change history below
        if edit is not None and edit.moved:
            self.message_user(request, edit.notice(), messages.WARNING)
        return None

    def construct_change_message(self, request, form, formsets, add=False):
        """The history says how stock was changed: "Stock (+10: 38 → 48)", not only that it was."""
        message = super().construct_change_message(request, form, formsets, add)
        edit = getattr(form, "stock_edit", None)
        if edit is None or not edit.change or not message or "changed" not in message[0]:
            return message
        fields = message[0]["changed"]["fields"]
        label = str(form.fields["stock"].label)
        message[0]["changed"]["fields"] = [
            f"{name} ({edit.change:+d}: {edit.now} → {edit.result})" if name == label else name for name in fields
        ]
        return message

    @admin.display(description="price", ordering="price")
    def price_display(self, product: Product) -> str:
        return format_money(product.price, product.currency)

    @admin.display(description="stock level")
    def stock_state(self, product: Product) -> str:
        # Classes, not style attributes: the Content-Security-Policy applies no inline style.
        if product.stock == 0:
            return format_html('<strong class="stock-state stock-state--out">{}</strong>', "sold out")
        if product.is_low_on_stock:
            return format_html('<strong class="stock-state stock-state--low">{}</strong>', "low")
        return "ok"


class UnsentEmailFilter(admin.SimpleListFilter):
    """Orders owed an email that neither the mail server nor the broker took (issue 10, item 8)."""

    title = "order emails"
    parameter_name = "unsent_email"

    def lookups(self, request, model_admin):
        return [("yes", "Not sent yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=OrderEmail.objects.filter(sent_at__isnull=True).values("order_id"))
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # What staff scan a list for (issue 11, item 13); the rest is one click away on the order.
    list_display = ["number", "created_at_zoned", "email", "status", "total_display", "needs_attention", "shipped"]
    list_filter = ["status", "needs_attention", UnsentEmailFilter, ("created_at", admin.DateFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["number", "email", "payment_intent_id", "checkout_session_id"]
    inlines = [OrderLineInline, RefundInline, OrderEmailInline, OrderEventInline]
    actions = ["mark_shipped", "refund_orders", "receive_returns", "cancel_unpaid", "export_csv", "packing_slip"]
    fieldsets = [
        (
            None,
            {"fields": ["number", "status", "email", "customer_name", "shipping_address_lines", "created_at_zoned"]},
        ),
        ("Money", {"fields": [*MONEY_FIELDS, "refunded_display", "paid_at_zoned", "payment_intent_id"]}),
        ("Stripe", {"fields": ["checkout_session_id", "checkout_expires_at_zoned", "stock_released_at_zoned"]}),
        ("Shipping", {"fields": ["carrier", "tracking_number", "shipped_at_zoned"]}),
        ("Staff", {"fields": ["needs_attention", "attention_reason", "staff_notes"]}),
    ]
    readonly_fields = [
        "number",
        "status",
        "email",
        "customer_name",
        "shipping_address_lines",
        "created_at_zoned",
        *MONEY_FIELDS,
        "refunded_display",
        "paid_at_zoned",
        "payment_intent_id",
        "checkout_session_id",
        "checkout_expires_at_zoned",
        "stock_released_at_zoned",
        "carrier",
        "tracking_number",
        "shipped_at_zoned",
        "attention_reason",
    ]
    created_at_zoned = zoned_time("created_at", "date")
    paid_at_zoned = zoned_time("paid_at", "paid at")
    checkout_expires_at_zoned = zoned_time("checkout_expires_at", "checkout expires at")
    stock_released_at_zoned = zoned_time("stock_released_at", "stock released at")
    shipped_at_zoned = zoned_time("shipped_at", "shipped at")

    class Media:
        css = LIST_CSS

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/ship/", wrap(self.ship_view), name="shop_order_ship"),
            path("<path:object_id>/refund/", wrap(self.refund_view), name="shop_order_refund"),
            path("<path:object_id>/return/", wrap(self.return_view), name="shop_order_return"),
            path("<path:object_id>/packing-slip/", wrap(self.packing_slip_view), name="shop_order_packing_slip"),
            path("packing-slips/", wrap(self.packing_slips_view), name="shop_order_packing_slips"),
            *super().get_urls(),
        ]

    def ship_view(self, request, object_id):
        return admin_views.ship_order(request, self, object_id)

    def refund_view(self, request, object_id):
        return admin_views.refund_order(request, self, object_id)

    def return_view(self, request, object_id):
        return admin_views.receive_return(request, self, object_id)

    def packing_slip_view(self, request, object_id):
        return admin_views.packing_slip(request, self, object_id)

    def packing_slips_view(self, request):
        return admin_views.packing_slips(request, self)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["can_ship"] = obj.status == Order.Status.PAID and self.has_change_permission(request, obj)
            context["can_refund"] = refunds.is_refundable(obj) and self.has_refund_permission(request)
            context["can_receive_return"] = (
                obj.status in returns.RETURNABLE_STATUSES and self.has_receive_return_permission(request)
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_queryset(self, request):
        # What is refunded, in the order's own query: the change page and the refund page add none.
        return super().get_queryset(request).with_refunded_total()

    def has_add_permission(self, request) -> bool:
        return False  # orders come from checkout only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the books keep every order

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("shop.refund_order")

    def has_receive_return_permission(self, request) -> bool:
        return request.user.has_perm("shop.receive_return")

    @admin.display(description="subtotal")
    def subtotal_display(self, order: Order) -> str:
        return format_money(order.subtotal, order.currency)

    @admin.display(description="discount")
    def discount_display(self, order: Order) -> str:
        code = f" (code {order.promotion_code})" if order.promotion_code else ""
        return f"−{format_money(order.discount_total, order.currency)}{code}" if order.discount_total else f"—{code}"

    @admin.display(description="shipping")
    def shipping_display(self, order: Order) -> str:
        rate = ", ".join(part for part in (order.shipping_rate_name, order.shipping_delivery_estimate) if part)
        where = f" to {order.shipping_country}" if order.shipping_country else ""
        return f"{format_money(order.shipping_total, order.currency)}" + (f" ({rate}{where})" if rate else where)

    @admin.display(description="tax")
    def tax_display(self, order: Order) -> str:
        shipping = f" ({format_money(order.shipping_tax, order.currency)} on shipping)" if order.shipping_tax else ""
        return f"{format_money(order.tax_total, order.currency)}{shipping}"

    @admin.display(description="total", ordering="total")
    def total_display(self, order: Order) -> str:
        return format_money(order.total, order.currency)

    @admin.display(description="refunded")
    def refunded_display(self, order: Order) -> str:
        return format_money(order.refunded_total or 0, order.currency)

    @admin.display(description="shipped", ordering="shipped_at")
    def shipped(self, order: Order) -> str:
        return timezone.localtime(order.shipped_at).strftime("%Y-%m-%d") if order.shipped_at else "—"

    @admin.display(description="shipping address")
    def shipping_address_lines(self, order: Order) -> str:
        lines = format_address(order.shipping_address)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)) if lines else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "staff_notes" in form.changed_data:
            staff.add_staff_note(order=obj, note="Staff notes edited.", user=request.user)

    def _one_order_page(self, request, queryset, name: str, doing: str):
        """An action that is really a page of one order: there, or why not."""
        if queryset.count() != 1:
            self.message_user(request, f"{doing} one order at a time, from its own page.", messages.WARNING)
            return None
        return HttpResponseRedirect(reverse(f"admin:shop_order_{name}", args=[queryset.get().pk]))

    @admin.action(description="Mark the selected order shipped (on its own page)", permissions=["change"])
    def mark_shipped(self, request, queryset):
        return self._one_order_page(request, queryset, "ship", "Ship")

    @admin.action(description="Refund the selected order through Stripe (on its own page)", permissions=["refund"])
    def refund_orders(self, request, queryset):
        return self._one_order_page(request, queryset, "refund", "Refund")

    @admin.action(
        description="Receive a return of the selected order (on its own page)", permissions=["receive_return"]
    )
    def receive_returns(self, request, queryset):
        return self._one_order_page(request, queryset, "return", "Receive returns")

    @admin.action(description="Cancel selected unpaid orders (releases their stock)", permissions=["change"])
    def cancel_unpaid(self, request, queryset):
        done = 0
        for order in queryset.filter(status=Order.Status.PENDING_PAYMENT):
            try:
                staff.cancel_order(order=order, user=request.user)
                done += 1
            except OrderError as error:
                self.message_user(request, f"{order.number}: {error.message}", messages.WARNING)
        skipped = queryset.exclude(status=Order.Status.PENDING_PAYMENT).count()
        self.message_user(request, f"{done} order(s) cancelled; {skipped} skipped (not unpaid).")

    @admin.action(description="Export selected orders as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        out = io.StringIO()
        write_orders_csv(queryset.prefetch_related("lines", "refunds").order_by("created_at"), out)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response

    @admin.action(description="Print packing slips for selected orders", permissions=["view"])
    def packing_slip(self, request, queryset):
        """A redirect to the slips' own GET page, so a reload prints again instead of posting again."""
        ids = list(queryset.order_by("created_at").values_list("pk", flat=True)[: admin_views.MAX_SLIPS + 1])
        if len(ids) > admin_views.MAX_SLIPS:
            self.message_user(request, f"Print at most {admin_views.MAX_SLIPS} slips at a time.", messages.WARNING)
            return None
        return HttpResponseRedirect(f"{reverse('admin:shop_order_packing_slips')}?ids={','.join(map(str, ids))}")


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "updated_at", "line_count", "checked_out_at", "order"]
    list_filter = [("checked_out_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["created_at", "updated_at", "checked_out_at", "order"]
    exclude = ["token"]
    inlines = [CartLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_line_count=Count("lines"))

    @admin.display(description="lines", ordering="_line_count")
    def line_count(self, cart) -> int:
        return cart._line_count

    def has_add_permission(self, request) -> bool:
        return False
