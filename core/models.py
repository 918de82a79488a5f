from django.db import models
from django.utils import timezone


class Suppression(models.Model):
    """An address the company must not mail (a bounce, a complaint, a staff decision)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Manual"

    email = models.EmailField(unique=True, help_text="Stored lower-cased.")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    source = models.CharField(max_length=200, blank=True, help_text="Provider and event id, or the staff user.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
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
