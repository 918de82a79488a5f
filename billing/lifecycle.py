"""The one place a subscription's state changes, and what a change owes: its history, the member's emails,
and the announcements of a member's access (billing.signals), sent after commit and once per change.

Statuses are Stripe's own, mirrored (Stripe Billing owns renewals, retries and cancellations), so there is no
table of allowed moves: whatever Stripe's current copy says is applied, under the row locks of the member's
subscriptions (`lock_member`), so two deliveries of one event, or two events of one member, apply one after
the other and the access a member had before a change is known for certain.
"""

import logging

from django.db import transaction
from django.utils import timezone

from billing.emails import owe_membership_email
from billing.history import record_subscription_event
from billing.models import MembershipEmail, Subscription
from billing.signals import membership_ended, membership_started
from core.redaction import loggable, mask_email

logger = logging.getLogger(__name__)
Kind = MembershipEmail.Kind
# What a change records in the history besides its status (last_synced_at changes at every sync: not news).
NOTEWORTHY = {
    "plan_id": "plan",
    "current_period_end": "period ends",
    "cancel_at_period_end": "cancels at period end",
    "canceled_at": "canceled at",
    "stripe_subscription_id": "Stripe subscription",
    "amount": "amount",
}


def lock_member(subscription_id: int) -> tuple[Subscription, list[Subscription]]:
    """Lock every subscription of the member this one belongs to (one email), in primary-key order (two
    changes never deadlock); (this subscription, all of them). Call inside a transaction."""
    email = Subscription.objects.filter(pk=subscription_id).values_list("email", flat=True).get()
    rows = list(
        Subscription.objects.select_for_update(of=("self",)).select_related("plan").filter(email=email).order_by("pk")
    )
    return next(row for row in rows if row.pk == subscription_id), rows


def change_subscription(
    *, subscription: Subscription, member: list[Subscription], changes: dict, actor: str, message: str = ""
) -> list[str]:
    """Apply `changes` (field → value) to a subscription locked with `lock_member` (`member`: all the rows it
    locked); record what changed, owe the emails it makes due and announce a change of the member's access
    after commit. Returns the names of the fields that changed."""
    before = {name: getattr(subscription, name) for name in changes}
    had_access, was_scheduled = subscription.has_access, subscription.cancel_at_period_end
    first_access = subscription.access_started_at is None
    for name, value in changes.items():
        setattr(subscription, name, value)
    changed = [name for name in changes if before[name] != getattr(subscription, name)]
    subscription.has_access = subscription.status in Subscription.ACCESS_STATUSES
    gained, lost = subscription.has_access and not had_access, had_access and not subscription.has_access
    if gained:
        subscription.access_started_at = subscription.access_started_at or timezone.now()
        subscription.access_ended_at = None
    elif lost:
        subscription.access_ended_at = timezone.now()
    if gained or lost:
        changed += ["has_access", "access_started_at", "access_ended_at"]
    if changed:
        subscription.save(update_fields=[*changed, "updated_at"])
    _record(subscription, before, changed, actor, message)
    _owe_emails(subscription, gained=gained and first_access, lost=lost, was_scheduled=was_scheduled)
    others_have_access = any(row.has_access for row in member if row.pk != subscription.pk)
    if (gained or lost) and not others_have_access:
        signal = membership_started if gained else membership_ended
        transaction.on_commit(lambda: _announce(signal, subscription.pk))
    return changed


def _record(subscription: Subscription, before: dict, changed: list[str], actor: str, message: str) -> None:
    if "status" in changed:
        record_subscription_event(
            subscription=subscription,
            kind="status",
            actor=actor,
            message=message or _describe(subscription, before, changed),
            from_status=before["status"],
            to_status=subscription.status,
        )
    elif any(name in NOTEWORTHY for name in changed):
        record_subscription_event(
            subscription=subscription,
            kind="synced",
            actor=actor,
            message=message or _describe(subscription, before, changed),
        )


def _describe(subscription: Subscription, before: dict, changed: list[str]) -> str:
    parts = []
    for name in changed:
        if name in NOTEWORTHY:
            value = subscription.plan.name if name == "plan_id" else getattr(subscription, name)
            parts.append(f"{NOTEWORTHY[name]}: {_shown(value)}")
    return "; ".join(parts) or f"status {before.get('status')} → {subscription.status}"


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return "—" if value in (None, "") else str(value)


def _owe_emails(subscription: Subscription, *, gained: bool, lost: bool, was_scheduled: bool) -> None:
    if gained:
        owe_membership_email(subscription=subscription, kind=Kind.WELCOME)
    if subscription.cancel_at_period_end and not was_scheduled and subscription.has_access:
        ends = subscription.current_period_end
        owe_membership_email(
            subscription=subscription,
            kind=Kind.CANCELLATION_SCHEDULED,
            key=f"scheduled:{int(subscription.canceled_at.timestamp()) if subscription.canceled_at else ''}",
            details={"ends_at": ends.isoformat() if ends else ""},
        )
    if lost and not (was_scheduled and subscription.status == Subscription.Status.CANCELED):
        # Ended at once, by Stripe giving up on the card, or paused: a cancellation confirmed earlier said it all.
        owe_membership_email(
            subscription=subscription,
            kind=Kind.CANCELED,
            key=f"{subscription.status}:{int(subscription.access_ended_at.timestamp())}",
            details={"status": subscription.status},
        )


def _announce(signal, subscription_id: int) -> None:
    subscription = Subscription.objects.select_related("plan").get(pk=subscription_id)
    for receiver, result in signal.send_robust(
        sender=Subscription, email=subscription.email, subscription=subscription
    ):
        if isinstance(result, Exception):
            logger.error(
                "membership receiver %r failed for %s (%s): %s",
                receiver,
                subscription.reference,
                mask_email(subscription.email),
                loggable(result),
            )
