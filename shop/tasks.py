"""Celery tasks of the shop: reconciliation with Stripe and email retries."""

from celery import shared_task

from shop import carts, services
from shop.models import Order


@shared_task(name="shop.reconcile_pending_orders")
def reconcile_pending_orders() -> dict[str, int]:
    """Beat task (see the data migration): pending orders past their session's expiry, failed events."""
    return services.reconcile_pending_orders()


@shared_task(
    name="shop.send_order_email",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_order_email_task(order_id: int, kind: str) -> str:
    return services.send_order_email(order=Order.objects.get(pk=order_id), kind=kind)


@shared_task(name="shop.delete_stale_carts")
def delete_stale_carts() -> int:
    """Beat task (daily, see the data migration): abandoned and long-spent carts."""
    return carts.delete_stale_carts()
