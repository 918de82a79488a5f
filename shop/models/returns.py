"""Returns: units a customer sent back, received by staff (shop.returns): each restocked or not, refunded
for what was paid for them."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from shop.models.orders import Order, OrderLine, Refund


class OrderReturn(models.Model):
    """One parcel of returned units, as staff received it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shop_at_fault = models.BooleanField(
        default=False, help_text="We sent the wrong item, or it arrived damaged or faulty: the shipping is refunded."
    )
    refund_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), help_text="What was refunded for it, in all."
    )
    shipping_refund = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), help_text="The part of it that is the shipping."
    )
    refund = models.OneToOneField(Refund, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_return")
    note = models.TextField(blank=True, help_text="Only staff see it.")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Return {self.pk} of {self.order}"


class ReturnLine(models.Model):
    order_return = models.ForeignKey(OrderReturn, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    restocked = models.PositiveIntegerField(default=0, help_text="Units put back on sale (not the damaged ones).")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_returnline_quantity_positive"),
            models.CheckConstraint(condition=Q(restocked__lte=F("quantity")), name="shop_returnline_restock_returned"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.product_name}"
