"""Promotion codes on Stripe (issue 12): each of ours becomes a Stripe coupon (what it takes off) and a
Stripe promotion code (what the customer types), made through the one client after the admin's save commits.

Every call carries an idempotency key derived from the row, so a retry (the client library's, the admin
saving twice, reconciliation's pass over codes still unsynced) never makes a second coupon or code. At the
pinned API version a promotion code names its coupon as `promotion[type]=coupon`, `promotion[coupon]=…`.
Stripe never changes a coupon or a code's terms once made; only a promotion code can be switched off and on
again, so toggling `is_active` updates the promotion code (keyed by how many times it was toggled).

What a code brought in is read from the orders it paid (`with_redemptions`: one query for the whole list).
"""

import logging
from datetime import datetime

import stripe
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from core.redaction import loggable
from payments.client import get_stripe_client
from payments.money import to_minor_units
from shop.models import Order, PromotionCode

logger = logging.getLogger(__name__)
PAID_STATUSES = (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED)
SYNC_BATCH = 50


def _key(promo: PromotionCode, purpose: str) -> str:
    return f"hodhod:{purpose}:{promo.pk}:{int(promo.created_at.timestamp())}"


def coupon_params(promo: PromotionCode) -> dict:
    params = {"duration": "once", "name": promo.code[:40], "metadata": {"hodhod_promotion_id": str(promo.pk)}}
    if promo.percent_off is not None:
        params["percent_off"] = f"{promo.percent_off.normalize():f}"
    else:
        params["amount_off"] = to_minor_units(promo.amount_off, promo.currency)
        params["currency"] = promo.currency.lower()
    return params


def promotion_code_params(promo: PromotionCode) -> dict:
    params = {
        "promotion": {"type": "coupon", "coupon": promo.stripe_coupon_id},
        "code": promo.code,
        "active": promo.is_active,
        "metadata": {"hodhod_promotion_id": str(promo.pk)},
    }
    if promo.max_redemptions:
        params["max_redemptions"] = promo.max_redemptions
    if promo.expires_at:
        params["expires_at"] = int(promo.expires_at.timestamp())
    if promo.first_order_only:
        params["restrictions"] = {"first_time_transaction": True}
    return params


def _bring_in_line(promo: PromotionCode) -> None:
    """Stripe calls for the (locked) row; each step is saved as soon as it is done."""
    client = get_stripe_client()
    if not promo.stripe_coupon_id:
        coupon = client.v1.coupons.create(
            params=coupon_params(promo), options={"idempotency_key": _key(promo, "coupon")}
        )
        promo.stripe_coupon_id = coupon.id
        promo.save(update_fields=["stripe_coupon_id"])
    if not promo.stripe_promotion_code_id:
        made = client.v1.promotion_codes.create(
            params=promotion_code_params(promo), options={"idempotency_key": _key(promo, "promotion-code")}
        )
        promo.stripe_promotion_code_id, promo.stripe_active = made.id, bool(made.active)
    elif promo.stripe_active != promo.is_active:
        changed = client.v1.promotion_codes.update(
            promo.stripe_promotion_code_id,
            params={"active": promo.is_active},
            options={"idempotency_key": _key(promo, f"promotion-code-active-{promo.active_changes}")},
        )
        promo.stripe_active = bool(changed.active)


def sync_promotion_code(*, promotion_id: int) -> bool:
    """Make the code on Stripe, or bring its active flag in line; True when Stripe's copy matches ours.
    A Stripe error is recorded on the row (`sync_error`, shown in the admin) for reconciliation to retry."""
    with transaction.atomic():
        promo = PromotionCode.objects.select_for_update().filter(pk=promotion_id).first()
        if promo is None:
            return False
        try:
            _bring_in_line(promo)
        except stripe.StripeError as exc:
            promo.sync_error = f"{exc.user_message or exc}"[:2000]
            logger.error("promotion code %s could not be synced with Stripe: %s", promo.pk, loggable(exc))
        else:
            promo.sync_error, promo.synced_at = "", timezone.now()
        promo.save(update_fields=["stripe_promotion_code_id", "stripe_active", "sync_error", "synced_at"])
    return not promo.sync_error


def unsynced_promotion_codes(*, now: datetime | None = None) -> QuerySet[PromotionCode]:
    """Codes whose Stripe copy is missing or differs (an expired code that never made it is left alone)."""
    now = now or timezone.now()
    differs = Q(stripe_promotion_code_id="") | Q(stripe_active__isnull=True) | ~Q(stripe_active=F("is_active"))
    return PromotionCode.objects.filter(differs).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def sync_unsynced_promotion_codes(*, now: datetime | None = None) -> tuple[int, int]:
    """Reconciliation's pass: (synced, failed)."""
    synced = failed = 0
    for promotion_id in unsynced_promotion_codes(now=now).order_by("pk").values_list("pk", flat=True)[:SYNC_BATCH]:
        if sync_promotion_code(promotion_id=promotion_id):
            synced += 1
        else:
            failed += 1
    return synced, failed


def with_redemptions(codes: QuerySet[PromotionCode]) -> QuerySet[PromotionCode]:
    """Each code with `redemptions` (orders paid with it), `discount_given`, `revenue` (what those orders
    paid, before refunds) and `revenue_currency`, in the list's own query."""
    paid = Q(orders__status__in=PAID_STATUSES)
    return codes.annotate(
        redemptions=Count("orders", filter=paid),
        discount_given=Sum("orders__discount_total", filter=paid),
        revenue=Sum("orders__total", filter=paid),
        revenue_currency=Max("orders__currency", filter=paid),
    )
