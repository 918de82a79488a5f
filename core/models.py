from django.db import models
from django.db.models import Q
from django.utils import timezone


class Suppression(models.Model):
    """An address the company must not mail (a bounce, a complaint, a staff decision, the customer's "stop all"),
    or, once the person was erased, only a keyed hash of it (core.suppression.address_hash)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Manual"
        STOP_ALL = "stop_all", "Stop all (the customer, from their account)"
        ERASED = "erased", "Erased (only a keyed hash of the address is kept)"

    email = models.EmailField(
        unique=True, null=True, blank=True, help_text="Stored lower-cased; empty once the person was erased."
    )
    email_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="A keyed hash of the address: all that is kept of it after an erasure.",
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    source = models.CharField(max_length=200, blank=True, help_text="Provider and event id, or the staff user.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(email_hash__isnull=False), name="core_suppression_names_an_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email or 'an erased address'} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower() if self.email else None
        super().save(*args, **kwargs)


class Consent(models.Model):
    """One statement of what a person agreed to be mailed about, appended and never changed: the latest
    statement per address and topic is the one that holds (core.consent)."""

    class Topic(models.TextChoices):
        NEWS = "news", "News and offers"
        RECOVERY = "recovery", "A reminder of an unfinished checkout"

    email = models.EmailField(help_text="Stored lower-cased.")
    topic = models.CharField(max_length=16, choices=Topic.choices)
    granted = models.BooleanField(help_text="Agreed (a grant), or not (a withdrawal or a box left unticked).")
    source = models.CharField(max_length=200, help_text="Where it was said: a checkout session, the account page, …")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["email", "topic", "-recorded_at"], name="core_consent_latest")]

    def __str__(self) -> str:
        return f"{self.email}: {self.topic} {'granted' if self.granted else 'not granted'} ({self.source})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Consent records are append-only: record a new statement instead.")
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
