"""Celery tasks of the shop: reconciliation with Stripe, stale carts and low stock. (The order email retry task
lives beside the function it retries, in shop.emails, as the low-stock mail does in shop.alerts and the failed-refund
alert in shop.refund_failures; all are registered by importing them here.)"""

from celery import shared_task

from shop import alerts, carts, reconciliation
from shop.alerts import send_low_stock_alert_task  # noqa: F401 - registered with Celery on autodiscovery
from shop.emails import send_order_email_task  # noqa: F401 - registered with Celery on autodiscovery
from shop.refund_failures import send_refund_failed_alert_task  # noqa: F401 - registered with Celery on autodiscovery


@shared_task(name="shop.reconcile_pending_orders")
def reconcile_pending_orders() -> dict[str, int]:
    """Beat task (see the data migration): pending orders past their session's expiry, failed events."""
    return reconciliation.reconcile_pending_orders()


@shared_task(name="shop.delete_stale_carts")
def delete_stale_carts() -> int:
    """Beat task (daily, see the data migration): abandoned and long-spent carts."""
    return carts.delete_stale_carts()


@shared_task(name="shop.check_low_stock")
def check_low_stock() -> int:
    """Beat task (every ten minutes, see migration 0014): products that fell to their low-stock threshold."""
    return alerts.alert_low_stock()
