"""Orders: the price snapshot, their lines, their history, their refunds and the emails they owe."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Upper

from core.tokens import new_token
from shop.models.catalog import Product
from shop.models.pricing import PromotionCode, ShippingRate

ZERO = Decimal("0.00")


def money_field(help_text: str, **kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, help_text=help_text, **kwargs)


class OrderQuerySet(models.QuerySet):
    def for_display(self) -> "OrderQuerySet":
        """What the order page, the API and emails show: the lines come along in one more query, the refunded
        total in the order's own (`refunded_total`)."""
        return self.with_refunded_total().prefetch_related("lines")

    def with_refunded_total(self) -> "OrderQuerySet":
        """Each order with `refunded_total` (the refunds that count, or None), in the same query."""
        refunded = (
            Refund.objects.filter(order=OuterRef("pk"), status__in=Refund.COUNTED_STATUSES)
            .values("order")
            .annotate(total=Sum("amount"))
            .values("total")
        )
        return self.annotate(refunded_total=Subquery(refunded))


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    number = models.CharField(max_length=20, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    email = models.EmailField()
    customer_name = models.CharField(max_length=200, blank=True)
    shipping_address = models.JSONField(
        default=dict, blank=True, help_text="As Stripe returns it: line1, city, postal_code, country, …"
    )
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.PENDING_PAYMENT)
    currency = models.CharField(max_length=3)
    # The money as Stripe settled it (issue 12): subtotal - discount + shipping + tax = total. Until the order
    # is paid the subtotal is all that is known, and the total is the subtotal.
    subtotal = money_field("The products, at the prices of our snapshot.")
    discount_total = money_field("Taken off the products by the promotion code.")
    shipping_total = money_field("The shipping charged, before tax.")
    tax_total = money_field("Sales tax or VAT, on the products and on the shipping.")
    shipping_tax = money_field("The part of the tax charged on the shipping.")
    total = models.DecimalField(max_digits=12, decimal_places=2, help_text="What the customer paid.")
    promotion = models.ForeignKey(
        PromotionCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", editable=False
    )
    promotion_code = models.CharField(max_length=500, blank=True, help_text="The code the customer typed.")
    shipping_country = models.CharField(max_length=2, blank=True, help_text="Where the customer chose to ship.")
    shipping_options = models.JSONField(
        default=list, blank=True, help_text="The rates the Checkout Session offered, as they were then."
    )
    shipping_rate = models.ForeignKey(
        ShippingRate, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders", editable=False
    )
    shipping_rate_name = models.CharField(max_length=100, blank=True)
    shipping_rate_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    shipping_delivery_estimate = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    recovery_session_id = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="The session Stripe recovered from this order's expired one, when that one paid it.",
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    stock_released_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reserved units went back to stock (cancelled orders)."
    )
    needs_attention = models.BooleanField(default=False, help_text="Something a person has to look at.")
    attention_reason = models.TextField(blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    staff_notes = models.TextField(blank=True, help_text="Only staff see these.")
    client_hash = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="A keyed hash of the address that checked out (shop.limits): counts one client's unpaid orders.",
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("refund_order", "Can refund orders through Stripe"),
            ("receive_return", "Can receive returns: restock units and refund them through Stripe"),
        ]
        indexes = [
            # The units one client or one email holds in unpaid orders (shop.limits), counted at each checkout.
            models.Index(
                "client_hash", "created_at", condition=Q(status="pending_payment"), name="shop_order_open_by_client"
            ),
            models.Index(
                Upper("email"), "created_at", condition=Q(status="pending_payment"), name="shop_order_open_by_email"
            ),
            # The admin dashboard's last 30 days (issue 15): orders by when they were paid, and by when placed.
            models.Index(fields=["paid_at"], condition=Q(paid_at__isnull=False), name="shop_order_paid_at"),
            models.Index(fields=["created_at"], name="shop_order_created_at"),
            # Orders to ship, oldest paid first (the dashboard's count and list): a few rows of a large table.
            models.Index(fields=["paid_at"], condition=Q(status="paid"), name="shop_order_to_ship"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return f"/orders/{self.token}/"

    @property
    def status_url(self) -> str:
        return f"{settings.SITE_URL}/orders/{self.token}/"

    def idempotency_key(self, purpose: str) -> str:
        """Derived from the order, so a retried Stripe call (ours or the client library's) never makes a second
        session or refund."""
        return f"hodhod:{purpose}:{self.number}:{self.token[:12]}"

    @property
    def amount_refunded(self) -> Decimal:
        """Sum of the refunds Stripe reports as succeeded (or still pending)."""
        if hasattr(self, "_prefetched_objects_cache") and "refunds" in self._prefetched_objects_cache:
            return sum((r.amount for r in self.refunds.all() if r.status in Refund.COUNTED_STATUSES), Decimal("0.00"))
        total = self.refunds.filter(status__in=Refund.COUNTED_STATUSES).aggregate(s=Sum("amount"))["s"]
        return total or Decimal("0.00")


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    product_name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.PositiveIntegerField()
    returned_quantity = models.PositiveIntegerField(
        default=0, help_text="Units the customer sent back and staff received (shop.returns)."
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=models.F("quantity")), name="shop_orderline_returned_at_most_bought"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_name}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderEvent(models.Model):
    """One row per thing that happened to an order: a status change, a flag, a note, an email."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32, default="transition")
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stripe_event_id = models.CharField(max_length=255, blank=True)
    actor = models.CharField(max_length=255, help_text="Who or what: a staff user, a Stripe event id, or system.")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        if self.to_status:
            labels = dict(Order.Status.choices)  # "Pending payment → Paid", as staff read it (issue 11)
            before = labels.get(self.from_status, self.from_status) or "—"
            return f"{before} → {labels.get(self.to_status, self.to_status)} by {self.actor}"
        return f"{self.kind} by {self.actor}"


class Refund(models.Model):
    """One row per Stripe refund; the order's refund state is derived from their sum."""

    COUNTED_STATUSES = ("succeeded", "pending", "requires_action")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    stripe_refund_id = models.CharField(max_length=255, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="shop_refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.stripe_refund_id}: {self.amount} {self.currency}"


class OrderEmail(models.Model):
    """One row per email an order's customer is owed, made before the first try: when the mail server and
    the broker are down together nothing is lost, and reconciliation sends what is still unsent (issue 10)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=32, help_text="confirmation, shipped, refund, return")
    refund = models.OneToOneField(
        Refund,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email",
        help_text="The refund a refund email tells of: one email per refund, however often it is recorded.",
    )
    order_return = models.OneToOneField(
        "shop.OrderReturn",  # named, not imported: shop.models.returns imports this module
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email",
        help_text="The return a return email tells of: one email per return.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Empty while it is still to be sent.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["attempts", "created_at"], condition=Q(sent_at__isnull=True), name="shop_email_unsent")
        ]
        constraints = [
            # A refund email names its refund, and only a refund email names one.
            models.CheckConstraint(
                condition=Q(kind="refund", refund__isnull=False) | (~Q(kind="refund") & Q(refund__isnull=True)),
                name="shop_email_refund_names_its_refund",
            ),
            models.CheckConstraint(
                condition=Q(kind="return", order_return__isnull=False)
                | (~Q(kind="return") & Q(order_return__isnull=True)),
                name="shop_email_return_names_its_return",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} email, {'sent' if self.sent_at else 'not sent'}"
