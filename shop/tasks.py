"""Celery tasks of the shop: reconciliation with Stripe and stale carts. (The order email retry task
lives beside the function it retries, in shop.emails, and is registered by importing it here.)"""

from celery import shared_task

from shop import carts, reconciliation
from shop.emails import send_order_email_task  # noqa: F401 - registered with Celery on autodiscovery


@shared_task(name="shop.reconcile_pending_orders")
def reconcile_pending_orders() -> dict[str, int]:
    """Beat task (see the data migration): pending orders past their session's expiry, failed events."""
    return reconciliation.reconcile_pending_orders()


@shared_task(name="shop.delete_stale_carts")
def delete_stale_carts() -> int:
    """Beat task (daily, see the data migration): abandoned and long-spent carts."""
    return carts.delete_stale_carts()
