"""The customer's account: sign-in links by email, and the log of erasures.

No Django users for customers: a customer is an email address (any case), and a sign-in link proves they read
mail sent to it. The link's token is only in the mail; the row keeps its SHA-256.
"""

from django.db import models
from django.utils import timezone


class SignInLink(models.Model):
    """One sign-in link: single use, bound to its address, valid ACCOUNT_SIGN_IN_LINK_MINUTES. A used link stays
    while the session it opened may last (ACCOUNT_SESSION_DAYS): that session is valid while its link exists, so
    an erasure (which deletes the address's links) ends every session of the address."""

    email = models.EmailField(help_text="Lower-cased: the address the link signs in as.")
    token_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the token; the token is only in the mail."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email", "created_at"], name="accounts_link_by_email")]

    def __str__(self) -> str:
        return f"sign-in link {self.pk} ({'used' if self.used_at else 'unused'})"


class CustomerErasure(models.Model):
    """An erasure that was carried out, by the customer from their account or by staff for a request that came
    by mail. It keeps no address: only the keyed hash the suppression list keeps (core.suppression.address_hash)
    and the pseudonym that replaced the address on orders, enrollments and memberships."""

    created_at = models.DateTimeField(default=timezone.now)
    requested_by = models.CharField(max_length=200, help_text="customer (account page), or staff:<user>.")
    note = models.TextField(blank=True, help_text="How the request reached us (a ticket number), never the address.")
    email_hash = models.CharField(max_length=64, db_index=True, help_text="The keyed hash of the erased address.")
    pseudonym = models.CharField(max_length=100, help_text="What replaced the address: erased-…@invalid.")
    summary = models.JSONField(default=dict, blank=True, help_text="What was erased, counted.")
    stripe_customer_ids = models.JSONField(
        default=list, blank=True, help_text="Deleted Stripe customers: the events Stripe sends about them are scrubbed."
    )
    stripe_object_ids = models.JSONField(
        default=list, blank=True, help_text="Their Stripe subscriptions and invoices, for the same reason."
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("erase_customer", "Can erase a customer's personal data")]

    def __str__(self) -> str:
        return f"Erasure {self.pseudonym} ({self.created_at:%Y-%m-%d})"
