"""Checkout recovery: the one reminder owed for a Checkout Session that expired unpaid, when its customer
agreed to promotional email there (shop.recovery)."""

from django.db import models
from django.db.models import Q

from shop.models.orders import Order


class CheckoutRecovery(models.Model):
    """At most one per expired session (its id is unique): however often the expiry is seen, one email."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Not sent"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="recoveries")
    session_id = models.CharField(max_length=255, unique=True, help_text="The expired Checkout Session.")
    email = models.EmailField()
    recovery_url = models.URLField(max_length=2000, help_text="Stripe's link that opens a copy of the session.")
    recovery_expires_at = models.DateTimeField(null=True, blank=True)
    session_created_at = models.DateTimeField(help_text="When the expired session was made.")
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    skipped_reason = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name_plural = "checkout recoveries"
        indexes = [models.Index(fields=["due_at"], condition=Q(status="pending"), name="shop_recovery_due")]

    def __str__(self) -> str:
        return f"Recovery of {self.order} ({self.get_status_display().lower()})"
