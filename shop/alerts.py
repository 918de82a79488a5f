"""Low-stock alerts (issue 15): staff (`STAFF_ALERT_EMAILS`) hear once each time a product falls to its
low-stock threshold.

`Product.low_stock_alerted_at` is the "told" mark. It is claimed by a conditional UPDATE (… WHERE mark IS NULL
AND stock <= threshold): when two checkouts cross the threshold at once, PostgreSQL makes the second UPDATE wait
for the first and then re-check its WHERE, so exactly one of them claims the product and one email goes. The
mark is cleared once stock is back above the threshold (a restock, a cancelled reservation, an admin edit), so
the next crossing alerts again.

The check runs after the commit of every stock change the shop makes (checkout, a reservation released or taken
again), of every save of a product (an admin edit), and from a beat task every ten minutes, which also catches
what changes stock by UPDATE alone (a restocked return). The mail
itself goes from a Celery task, never from the customer's checkout request; a mail that could not be queued or
sent gives its claim back, so the beat task tries again.
"""

import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from core.mail import MailKind, send_templated_email
from core.redaction import loggable, mask_email
from shop.models import Product

logger = logging.getLogger(__name__)

TEMPLATE = "shop/email/low_stock_alert"


def _products(product_ids: Iterable[int] | None):
    return Product.objects.all() if product_ids is None else Product.objects.filter(pk__in=list(product_ids))


def claim_low_stock_alerts(*, product_ids: Iterable[int] | None = None) -> list[int]:
    """Clear the mark of the products back above their threshold, then claim the active ones at or below it
    that staff have not been told of: the ids claimed now (each claimed by exactly one caller)."""
    products = _products(product_ids)
    products.filter(low_stock_alerted_at__isnull=False, stock__gt=F("low_stock_threshold")).update(
        low_stock_alerted_at=None
    )
    unclaimed = products.filter(is_active=True, low_stock_alerted_at__isnull=True, stock__lte=F("low_stock_threshold"))
    claimed = []
    for pk in unclaimed.order_by("pk").values_list("pk", flat=True):
        won = Product.objects.filter(
            pk=pk, low_stock_alerted_at__isnull=True, stock__lte=F("low_stock_threshold")
        ).update(low_stock_alerted_at=timezone.now())
        if won:
            claimed.append(pk)
    return claimed


def release_claim(*, product_id: int) -> None:
    """Forget that staff were told, so the next check tries again (the mail did not go)."""
    Product.objects.filter(pk=product_id).update(low_stock_alerted_at=None)


def send_low_stock_alert(*, product_id: int) -> int:
    """Mail every address of STAFF_ALERT_EMAILS about the product; the number of mails sent. Nothing when the
    product is no longer claimed (back above its threshold since). On a failure the claim is given back and
    the error raised."""
    product = Product.objects.filter(pk=product_id, low_stock_alerted_at__isnull=False).first()
    if product is None:
        return 0
    context = {
        "product": product,
        "admin_url": settings.SITE_URL + reverse("admin:shop_product_change", args=[product.pk]),
        "low_stock_list_url": settings.SITE_URL + reverse("admin:shop_product_changelist") + "?stock_level=low",
    }
    subject = f"Low stock: {product.name} ({product.stock} left)"
    sent = 0
    try:
        for address in settings.STAFF_ALERT_EMAILS:
            message_id = send_templated_email(
                to=address, kind=MailKind.STAFF_ALERT, subject=subject, template=TEMPLATE, context=context
            )
            if message_id:
                sent += 1
                logger.info("low-stock alert for %s sent to %s", product.sku, mask_email(address))
    except Exception:
        release_claim(product_id=product.pk)
        raise
    return sent


@shared_task(name="shop.send_low_stock_alert")
def send_low_stock_alert_task(product_id: int) -> int:
    return send_low_stock_alert(product_id=product_id)


def check_low_stock(*, product_ids: Iterable[int] | None = None) -> list[int]:
    """Claim the products that crossed their threshold and queue their alerts; nothing when no one is to be told.
    Safe to call after any commit (a failure is logged, never raised into the caller's request)."""
    if not settings.STAFF_ALERT_EMAILS:
        return []
    claimed = claim_low_stock_alerts(product_ids=product_ids)
    for product_id in claimed:
        try:
            send_low_stock_alert_task.delay(product_id)
        except Exception as exc:  # the broker is down: the beat task tries again
            logger.error("could not queue the low-stock alert of product %s (%s)", product_id, loggable(exc))
            release_claim(product_id=product_id)
    return claimed


def check_low_stock_after_commit(*, product_ids: Iterable[int]) -> None:
    """Run `check_low_stock` for these products once the current transaction commits (at once outside one)."""
    ids = list(product_ids)
    transaction.on_commit(lambda: check_low_stock(product_ids=ids), robust=True)


@receiver(post_save, sender=Product, dispatch_uid="shop.alerts.product_saved")
def check_saved_product(sender, instance: Product, **kwargs) -> None:
    """A product saved (staff restocked it, or changed its threshold): check it once the save commits."""
    check_low_stock_after_commit(product_ids=[instance.pk])


def alert_low_stock() -> int:
    """The beat task's pass over every product: claim the crossings and mail them from here (already a worker).
    The number of products staff were told of."""
    if not settings.STAFF_ALERT_EMAILS:
        return 0
    told = 0
    for product_id in claim_low_stock_alerts():
        try:
            told += bool(send_low_stock_alert(product_id=product_id))
        except Exception as exc:
            logger.error("the low-stock alert of product %s failed (%s); next pass retries", product_id, loggable(exc))
    return told
