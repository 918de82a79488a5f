"""Memberships: plans (each a Stripe Product and Price), the Stripe customer of each email, subscriptions
mirroring Stripe's, their invoices, their history and the emails they owe."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.tokens import new_token
from payments.money import is_payable_amount

# Our subscription's reference, in the metadata of its Stripe subscription (and so of its invoices): an event
# about a subscription names it even when it arrives before the checkout.session.completed that links the two.
REFERENCE_METADATA_KEY = "hodhod_subscription"


class PlanQuerySet(models.QuerySet):
    def on_offer(self) -> "PlanQuerySet":
        """What people may join, cheapest interval first."""
        return self.filter(is_active=True).order_by("position", "price", "pk")


class Plan(models.Model):
    """A membership plan. Which programs it grants is declared on the programs' side (programs imports billing)."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.50"))])
    currency = models.CharField(
        max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$", "An ISO code in capitals, like USD.")]
    )
    interval = models.CharField(max_length=5, choices=Interval.choices, default=Interval.MONTH)
    trial_days = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(730)],
        help_text="Free days before the first charge, for people who never were members (0: none).",
    )
    is_active = models.BooleanField("on offer", default=True)
    position = models.PositiveIntegerField(default=0, help_text="Display order: lower comes first.")
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_price_terms = models.CharField(
        max_length=64, blank=True, help_text="What the Stripe price charges (amount, currency, interval)."
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["position", "price", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.price is not None and self.currency and not is_payable_amount(self.price, self.currency):
            raise ValidationError({"price": f"{self.currency} prices have no fractions of this size."})

    @property
    def price_terms(self) -> str:
        """The terms a Stripe Price fixes for good: a change of any of them needs a new Price."""
        return f"{self.price} {self.currency.upper()} {self.interval}"

    @property
    def needs_new_price(self) -> bool:
        return not self.stripe_price_id or self.stripe_price_terms != self.price_terms


class BillingCustomer(models.Model):
    """The one Stripe customer of an email: a member who leaves and rejoins keeps it (and its card)."""

    email = models.EmailField(max_length=254, unique=True, help_text="Lower-cased.")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class SubscriptionQuerySet(models.QuerySet):
    def with_access(self) -> "SubscriptionQuerySet":
        return self.filter(status__in=Subscription.ACCESS_STATUSES)

    def not_ended(self) -> "SubscriptionQuerySet":
        return self.exclude(status__in=Subscription.ENDED_STATUSES)


class Subscription(models.Model):
    """A membership, from the moment its checkout opens (`incomplete`) on; its state is Stripe's copy."""

    class Status(models.TextChoices):  # Stripe's own values
        INCOMPLETE = "incomplete", "Incomplete (checkout open)"
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due (Stripe retrying)"
        UNPAID = "unpaid", "Unpaid"
        CANCELED = "canceled", "Canceled"
        INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
        PAUSED = "paused", "Paused"

    ACCESS_STATUSES = frozenset({Status.TRIALING, Status.ACTIVE, Status.PAST_DUE})
    ENDED_STATUSES = frozenset({Status.CANCELED, Status.INCOMPLETE_EXPIRED})

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    reference = models.CharField(
        max_length=20, unique=True, help_text="For people and Stripe's client_reference_id; opens nothing."
    )
    email = models.EmailField(max_length=254, db_index=True, help_text="Lower-cased.")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    customer = models.ForeignKey(
        BillingCustomer, on_delete=models.PROTECT, null=True, blank=True, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INCOMPLETE)
    has_access = models.BooleanField(default=False, help_text="Trialing, active or past due.")
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="What each period costs.")
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=Plan.Interval.choices)
    stripe_subscription_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.CharField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    access_started_at = models.DateTimeField(null=True, blank=True, help_text="When it first gave access.")
    access_ended_at = models.DateTimeField(null=True, blank=True, help_text="When it last stopped giving access.")
    last_synced_at = models.DateTimeField(null=True, blank=True, help_text="Last brought in line with Stripe.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("cancel_subscription", "Can cancel memberships through Stripe"),
            ("refund_invoice", "Can refund membership invoices through Stripe"),
        ]
        indexes = [
            # Reconciliation: subscriptions not ended, oldest sync first.
            models.Index(
                fields=["last_synced_at"],
                condition=~Q(status__in=["canceled", "incomplete_expired"]),
                name="billing_sub_to_resync",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def idempotency_key(self, purpose: str) -> str:
        """Derived from the row, so a retried Stripe call (ours or the client library's) makes nothing twice."""
        return f"hodhod:billing:{purpose}:{self.reference}:{self.token[:12]}"

    @property
    def monthly_amount(self) -> Decimal:
        """What it brings in a month: a yearly price divided by twelve."""
        monthly = self.amount / 12 if self.interval == Plan.Interval.YEAR else self.amount
        return monthly.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Invoice(models.Model):
    """A Stripe invoice of a subscription, as Stripe last reported it."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="invoices")
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    number = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, help_text="Stripe's: draft, open, paid, uncollectible, void.")
    billing_reason = models.CharField(max_length=50, blank=True)
    amount_due = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.CharField(max_length=2000, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(help_text="When Stripe made it.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number or self.stripe_invoice_id


class SubscriptionEvent(models.Model):
    """What happened to a subscription and who or what did it (a Stripe event, a staff user, the system)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32, help_text="created, status, synced, staff, refund, …")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.CharField(max_length=255, blank=True, help_text="stripe:<event id>, staff:<user>, system, …")
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.to_status}".strip()


class MembershipEmail(models.Model):
    """One row per email a member is owed, made in the transaction that owes it and kept until sent, so neither
    a mail server nor a broker outage loses one; (`kind`, `key`) is owed once per subscription."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        RENEWAL_REMINDER = "renewal_reminder", "Renewal reminder"
        CANCELLATION_SCHEDULED = "cancellation_scheduled", "Cancellation confirmed (at period end)"
        CANCELED = "canceled", "Membership ended"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    key = models.CharField(max_length=100, blank=True, help_text="What makes it owed once (an invoice, a date).")
    details = models.JSONField(default=dict, blank=True, help_text="Facts the email states (an amount, a date).")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Empty while it is still to be sent.")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "key"], name="billing_email_owed_once"),
        ]
        indexes = [
            models.Index(
                fields=["attempts", "created_at"], condition=Q(sent_at__isnull=True), name="billing_email_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} email, {'sent' if self.sent_at else 'not sent'}"


class PortalConfiguration(models.Model):
    """The Stripe customer-portal configuration that lists our plans (one row: the current one)."""

    stripe_configuration_id = models.CharField(max_length=255, unique=True)
    price_ids = models.TextField(blank=True, help_text="The prices it offers, comma-separated.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.stripe_configuration_id


def from_timestamp(value) -> datetime | None:
    """A Stripe Unix time as an aware datetime (None for null, or anything that is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)
