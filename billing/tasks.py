"""Celery tasks of memberships: reconciliation with Stripe. (The membership email retry task lives beside the
function it retries, in billing.emails, and is registered by importing it here.)"""

from celery import shared_task

from billing import reconciliation
from billing.emails import send_membership_email_task  # noqa: F401 - registered with Celery on autodiscovery


@shared_task(name="billing.reconcile_subscriptions")
def reconcile_subscriptions() -> dict[str, int]:
    """Beat task (see the data migration): subscriptions not synced lately or named by failed events."""
    return reconciliation.reconcile_subscriptions()
