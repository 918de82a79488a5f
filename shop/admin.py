"""Staff tools: catalog with stock, orders (read-only money and lines), fulfilment, refunds, exports."""

import csv
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from shop import refunds, staff
from shop.models import Cart, CartLine, Order, OrderEmail, OrderEvent, OrderLine, Product, Refund
from shop.orders import OrderError


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
    list_display = ["name", "sku", "price", "currency", "stock", "stock_state", "is_active", "position"]
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

    @admin.display(description="stock level")
    def stock_state(self, product: Product) -> str:
        if product.stock == 0:
            return format_html('<strong style="color:#a40000">{}</strong>', "sold out")
        if product.is_low_on_stock:
            return format_html('<strong style="color:#8a5300">{}</strong>', "low")
        return "ok"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_name", "sku", "unit_price", "quantity", "line_total"]
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["stripe_refund_id", "amount", "currency", "status", "created_by", "created_at"]
    readonly_fields = fields


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "message"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]


class OrderEmailInline(ReadOnlyInline):
    model = OrderEmail
    verbose_name_plural = "Order emails"
    fields = ["kind", "created_at", "sent", "attempts", "last_error"]
    readonly_fields = fields

    @admin.display(description="sent")
    def sent(self, email: OrderEmail):
        return email.sent_at or "not sent (reconciliation retries it)"


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


class ShipForm(forms.Form):
    carrier = forms.CharField(max_length=100, initial="USPS")
    tracking_number = forms.CharField(max_length=100)


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Leave empty to refund everything not yet refunded.",
    )


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start with these as formulas (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "status", "total", "currency", "needs_attention", "created_at"]
    list_filter = ["status", "needs_attention", UnsentEmailFilter, ("created_at", admin.DateFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["number", "email", "payment_intent_id", "checkout_session_id"]
    inlines = [OrderLineInline, RefundInline, OrderEmailInline, OrderEventInline]
    actions = ["mark_shipped", "refund_orders", "cancel_unpaid", "export_csv", "packing_slip"]
    fieldsets = [
        (None, {"fields": ["number", "status", "email", "customer_name", "shipping_address_text", "created_at"]}),
        ("Money", {"fields": ["total", "currency", "amount_refunded", "paid_at", "payment_intent_id"]}),
        ("Stripe", {"fields": ["checkout_session_id", "checkout_expires_at", "stock_released_at"]}),
        ("Shipping", {"fields": ["carrier", "tracking_number", "shipped_at"]}),
        ("Staff", {"fields": ["needs_attention", "attention_reason", "staff_notes"]}),
    ]
    readonly_fields = [
        "number",
        "status",
        "email",
        "customer_name",
        "shipping_address_text",
        "created_at",
        "total",
        "currency",
        "amount_refunded",
        "paid_at",
        "payment_intent_id",
        "checkout_session_id",
        "checkout_expires_at",
        "stock_released_at",
        "carrier",
        "tracking_number",
        "shipped_at",
        "attention_reason",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # orders come from checkout only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the books keep every order

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("shop.refund_order")

    @admin.display(description="shipping address")
    def shipping_address_text(self, order: Order) -> str:
        address = order.shipping_address or {}
        keys = ["line1", "line2", "postal_code", "city", "state", "country"]
        return ", ".join(str(address[k]) for k in keys if address.get(k)) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "staff_notes" in form.changed_data:
            staff.add_staff_note(order=obj, note="Staff notes edited.", user=request.user)

    @admin.action(description="Mark selected orders as shipped (with tracking number)", permissions=["change"])
    def mark_shipped(self, request, queryset):
        queryset = queryset.filter(status=Order.Status.PAID)
        if not queryset.exists():
            self.message_user(request, "Only paid orders can be shipped.", messages.WARNING)
            return None
        if "apply" in request.POST:
            form = ShipForm(request.POST)
            if form.is_valid() and queryset.count() == 1:
                order = staff.mark_shipped(order=queryset.get(), user=request.user, **form.cleaned_data)
                self.message_user(request, f"Order {order.number} is marked shipped; the customer was emailed.")
                return None
        else:
            form = ShipForm()
        if queryset.count() != 1:
            self.message_user(request, "Ship one order at a time: each has its own tracking number.", messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "admin/shop/order/mark_shipped.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Ship order {queryset.get().number}",
                "order": queryset.get(),
                "form": form,
                "queryset": queryset,
                "action": "mark_shipped",
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Refund selected orders through Stripe (in full or in part)", permissions=["refund"])
    def refund_orders(self, request, queryset):
        if not request.user.has_perm("shop.refund_order"):
            raise PermissionDenied
        orders = [order for order in queryset if refunds.is_refundable(order)]
        if not orders:
            self.message_user(request, "None of the selected orders can be refunded.", messages.WARNING)
            return None
        if "apply" in request.POST:
            form = RefundForm(request.POST)
            if form.is_valid():
                amount = form.cleaned_data["amount"]
                if amount is not None and len(orders) > 1:
                    self.message_user(request, "A partial amount applies to one order at a time.", messages.ERROR)
                    return None
                for order in orders:
                    try:
                        refund = refunds.refund_order(order=order, amount=amount, user=request.user)
                    except OrderError as error:
                        self.message_user(request, f"{order.number}: {error.message}", messages.ERROR)
                    else:
                        self.message_user(request, f"{order.number}: refunded {refund.amount} {refund.currency}.")
                return None
        else:
            form = RefundForm()
        return TemplateResponse(
            request,
            "admin/shop/order/refund.html",
            {
                **self.admin_site.each_context(request),
                "title": "Refund through Stripe",
                "orders": orders,
                "form": form,
                "action": "refund_orders",
                "opts": self.model._meta,
            },
        )

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
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["number", "created_at", "status", "email", "customer_name", "total", "currency", "refunded"]
            + ["payment_intent_id", "carrier", "tracking_number", "lines"]
        )
        for order in queryset.prefetch_related("lines", "refunds").order_by("created_at"):
            lines = "; ".join(f"{line.quantity} x {line.sku}" for line in order.lines.all())
            row = [order.number, order.created_at.isoformat(), order.status, order.email, order.customer_name]
            row += [order.total, order.currency, order.amount_refunded, order.payment_intent_id]
            row += [order.carrier, order.tracking_number, lines]
            writer.writerow([_csv_cell(value) for value in row])
        return response

    @admin.action(description="Print packing slips for selected orders", permissions=["view"])
    def packing_slip(self, request, queryset):
        orders = queryset.prefetch_related("lines").order_by("created_at")
        return TemplateResponse(request, "admin/shop/order/packing_slip.html", {"orders": orders})


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["product", "quantity"]
    readonly_fields = fields


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
