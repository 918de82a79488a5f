"""Reconciliation of memberships: what a webhook lost for good would leave wrong, put right from Stripe's copy.

Run by the beat task (see the data migration) and by `manage.py reconcile_stripe [--all]`.
"""

import logging
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from billing.emails import send_unsent_membership_emails
from billing.history import SYSTEM
from billing.invoices import subscription_id_of
from billing.lifecycle import change_subscription, lock_member
from billing.models import Subscription
from billing.stripe_events import BILLING_EVENT_TYPES
from billing.sync import settle_checkout, sync_subscription
from core.redaction import loggable
from payments.client import id_of
from payments.models import StripeEvent

logger = logging.getLogger(__name__)
ACTOR = "reconciliation"
RESYNC_AFTER = timedelta(days=1)  # a subscription no event has touched for this long is asked about
FIRST_LOOK_AFTER = timedelta(minutes=15)  # a checkout not heard of since it opened
BATCH = 500


def _stripe_ids_of_failed_events() -> set[str]:
    """The Stripe subscriptions named by billing's events that failed to apply (retried by the events pass too)."""
    ids = set()
    failed = StripeEvent.objects.filter(state=StripeEvent.State.FAILED, type__in=BILLING_EVENT_TYPES)
    for stored in failed.order_by("received_at")[:BATCH]:
        obj = stored.data_object
        if stored.type.startswith("customer.subscription."):
            ids.add(id_of(obj.get("id")))
        elif stored.type.startswith("invoice."):
            ids.add(subscription_id_of(obj))
        elif stored.type.startswith("checkout.session."):
            ids.add(id_of(obj.get("subscription")))
    return ids - {""}


def subscriptions_to_resync(*, all: bool = False, now: datetime | None = None) -> QuerySet[Subscription]:  # noqa: A002
    """Not ended, and with `all`: every one; without: not synced for a day, named by a failed event, or a
    checkout nobody has heard of since it opened."""
    now = now or timezone.now()
    candidates = Subscription.objects.not_ended()
    if not all:
        never_looked_at = Q(last_synced_at__isnull=True, created_at__lt=now - FIRST_LOOK_AFTER)
        # A checkout past its expiry that nobody has asked about since: its checkout.session.expired may be lost.
        expired_unseen = Q(stripe_subscription_id__isnull=True, checkout_expires_at__lt=now - FIRST_LOOK_AFTER) & (
            Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=F("checkout_expires_at"))
        )
        candidates = candidates.filter(
            Q(last_synced_at__lt=now - RESYNC_AFTER)
            | never_looked_at
            | expired_unseen
            | Q(stripe_subscription_id__in=_stripe_ids_of_failed_events())
        )
    return candidates.order_by("last_synced_at", "pk")


def _note_looked_at(subscription: Subscription) -> None:
    with transaction.atomic():
        locked, member = lock_member(subscription.pk)
        changes = {"last_synced_at": timezone.now()}
        change_subscription(subscription=locked, member=member, changes=changes, actor=SYSTEM)


def resync(subscription: Subscription, *, actor: str = ACTOR) -> None:
    """One subscription brought in line with Stripe: its subscription, or (never started) its checkout."""
    if subscription.stripe_subscription_id:
        sync_subscription(subscription_id=subscription.pk, actor=actor)
    elif subscription.checkout_session_id:
        settle_checkout(subscription=subscription, actor=actor, expire_past_expiry=True)
    subscription.refresh_from_db()
    if subscription.status not in Subscription.ENDED_STATUSES and not subscription.stripe_subscription_id:
        _note_looked_at(subscription)  # still open: asked again after RESYNC_AFTER


def reconcile_subscriptions(*, all: bool = False, now: datetime | None = None) -> dict[str, int]:  # noqa: A002
    """Re-sync from Stripe the subscriptions not synced lately, named by failed events, or (`all`) every one not
    ended; and send the membership emails neither the mail server nor the broker took."""
    counts = {"subscriptions_synced": 0, "membership_emails_sent": 0, "errors": 0}
    for subscription in subscriptions_to_resync(all=all, now=now)[: None if all else BATCH]:
        try:
            resync(subscription)
        except stripe.StripeError as exc:
            counts["errors"] += 1
            logger.error("re-syncing membership %s failed: %s", subscription.reference, loggable(exc))
            continue
        counts["subscriptions_synced"] += 1
    counts["membership_emails_sent"], failed = send_unsent_membership_emails(now=now)
    counts["errors"] += failed
    return counts
