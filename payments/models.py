from django.db import models


class StripeEvent(models.Model):
    """Each Stripe event stored once by its id; `processed_at` is set in the transaction that applied it."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (type not handled)"
        DEFERRED = "deferred", "Deferred (waiting for its order)"
        FAILED = "failed", "Failed (will be retried)"

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.RECEIVED)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    scrubbed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the personal data in its payload was scrubbed (an erasure, or its age: payments.privacy).",
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The daily retention pass: events not scrubbed yet, oldest first.
            models.Index(
                fields=["received_at"], condition=models.Q(scrubbed_at__isnull=True), name="payments_event_unscrubbed"
            ),
            # Reconciliation: events still to apply (queued for a worker, or failed), oldest first.
            models.Index(
                fields=["received_at"],
                condition=models.Q(state__in=["received", "failed"]),
                name="payments_event_unapplied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.type})"

    @property
    def data_object(self) -> dict:
        """The event's `data.object`, or {} when the payload has none (or not an object)."""
        obj = (self.payload.get("data") or {}).get("object") or {}
        return obj if isinstance(obj, dict) else {}
