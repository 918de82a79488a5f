"""The daily privacy pass (a django-celery-beat entry, "accounts: privacy pass"):

- personal data is scrubbed from stored Stripe events older than STRIPE_EVENT_RETENTION_DAYS (the events stay:
  their ids keep webhook deliveries idempotent, and they are the audit of what Stripe told us);
- events Stripe sent about an erasure itself (`customer.deleted`, `customer.subscription.deleted`, which arrive
  after it) are scrubbed too, for erasures of the last LATE_EVENT_DAYS days;
- sign-in links older than a customer session can last are deleted.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import CustomerErasure, SignInLink
from payments.privacy import concerning, scrub_events, scrub_events_received_before

LATE_EVENT_DAYS = 7


def scrub_late_events(*, now: datetime) -> int:
    """Scrub events that arrived after recent erasures about what they deleted."""
    scrubbed = 0
    for erasure in CustomerErasure.objects.filter(created_at__gte=now - timedelta(days=LATE_EVENT_DAYS)):
        if erasure.stripe_customer_ids or erasure.stripe_object_ids:
            events = concerning(customer_ids=erasure.stripe_customer_ids, object_ids=erasure.stripe_object_ids)
            scrubbed += scrub_events(events.filter(scrubbed_at__isnull=True), now=now)
    return scrubbed


def run_privacy_pass(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    retention = timedelta(days=settings.STRIPE_EVENT_RETENTION_DAYS)
    sessions = timedelta(days=settings.ACCOUNT_SESSION_DAYS)
    old_links = Q(created_at__lt=now - sessions) | Q(used_at__isnull=True, expires_at__lt=now - timedelta(days=1))
    deleted, _ = SignInLink.objects.filter(old_links).delete()
    return {
        "old_events_scrubbed": scrub_events_received_before(now - retention, now=now),
        "late_events_scrubbed": scrub_late_events(now=now),
        "sign_in_links_deleted": deleted,
    }
