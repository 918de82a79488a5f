"""The read-only rows shown under an order (and a cart) in the admin: its lines, refunds, emails and history.
Money reads "59.00 USD" and times carry their zone (shop.display)."""

from django.contrib import admin

from shop.display import format_money, format_time, status_change
from shop.models import CartLine, OrderEmail, OrderEvent, OrderLine, Refund


def zoned_time(field: str, description: str):
    """An admin column or read-only field showing the datetime `field` in the display zone, zone named."""

    @admin.display(description=description, ordering=field)
    def show(self, obj) -> str:
        return format_time(getattr(obj, field))

    show.__name__ = f"{field}_zoned"
    return show


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    related = ()  # what each row shows of its relations, fetched in the inline's one query

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    related = ("order",)
    fields = ["product_name", "sku", "unit_price_display", "quantity", "line_total_display", "returned_quantity"]
    readonly_fields = fields

    @admin.display(description="unit price")
    def unit_price_display(self, line: OrderLine) -> str:
        return format_money(line.unit_price, line.order.currency)

    @admin.display(description="line total")
    def line_total_display(self, line: OrderLine) -> str:
        return format_money(line.line_total, line.order.currency)


class RefundInline(ReadOnlyInline):
    model = Refund
    related = ("created_by",)
    fields = ["stripe_refund_id", "amount_display", "status", "created_by", "created_at_zoned"]
    readonly_fields = fields
    created_at_zoned = zoned_time("created_at", "created")

    @admin.display(description="amount")
    def amount_display(self, refund: Refund) -> str:
        return format_money(refund.amount, refund.currency)


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at_zoned", "what", "actor", "message"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]
    created_at_zoned = zoned_time("created_at", "when")

    @admin.display(description="what")
    def what(self, event: OrderEvent) -> str:
        """ "Pending payment → Paid" for a status change (issue 11, item 12); the kind of anything else."""
        return status_change(event.from_status, event.to_status) or event.kind.replace("_", " ").capitalize()


class OrderEmailInline(ReadOnlyInline):
    model = OrderEmail
    related = ("refund", "order_return", "order")
    verbose_name_plural = "Order emails"
    fields = ["about", "created_at_zoned", "sent", "attempts", "last_error"]
    readonly_fields = fields
    created_at_zoned = zoned_time("created_at", "recorded")

    @admin.display(description="email")
    def about(self, email: OrderEmail) -> str:
        if email.refund is not None:
            return f"{email.kind}: {format_money(email.refund.amount, email.refund.currency)}"
        if email.order_return is not None:
            return f"{email.kind}: {format_money(email.order_return.refund_amount, email.order.currency)} refunded"
        return email.kind

    @admin.display(description="sent")
    def sent(self, email: OrderEmail) -> str:
        return format_time(email.sent_at) if email.sent_at else "not sent (reconciliation retries it)"


class CartLineInline(ReadOnlyInline):
    model = CartLine
    fields = ["product", "quantity"]
    readonly_fields = fields
