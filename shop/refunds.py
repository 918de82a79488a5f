"""Refunds: staff refunds through Stripe, and every refund Stripe reports (the dashboard's too),
one row per Stripe refund id, its status followed; the order's refund status is derived from the sum of
those that count, and goes back when one fails (shop.refund_failures)."""

from decimal import Decimal

import stripe
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum

from payments.client import as_dict, get_stripe_client, id_of
from payments.money import currency_exponent, from_minor_units, is_payable_amount, to_minor_units
from shop.display import format_money
from shop.emails import deliver_order_email, record_order_email
from shop.history import record_order_event
from shop.models import Order, Refund
from shop.orders import ALLOWED_TRANSITIONS, REFUNDABLE_STATUSES, OrderError, flag_order, transition_order
from shop.refund_failures import ask_staff_to_refund_again, change_refund_status

Status = Order.Status
REFUND_REASONS = {
    # Stripe's refund reasons (https://docs.stripe.com/api/refunds/create#create_refund-reason).
    "requested_by_customer": "Requested by the customer",
    "duplicate": "Duplicate payment",
    "fraudulent": "Fraudulent payment",
}


def record_refund(
    *,
    order: Order,
    stripe_refund_id: str,
    amount: Decimal,
    currency: str,
    status: str,
    user=None,
    stripe_event_id: str = "",
    note: str = "",
    announce: bool = True,
) -> tuple[Refund, bool]:
    """Keep one refund Stripe made (ours or the dashboard's), once by its Stripe id; (refund, created).

    A new refund that counts is recorded as an order event and owes the customer a refund email,
    recorded here in the same transaction and sent after commit: every refund is told, and only once
    (the email row is keyed by the refund, so a second sighting of the same refund, a retried webhook or
    reconciliation's resend, never sends another). A return's refund (`announce=False`) is told by the
    return's own email instead."""
    refund, created = Refund.objects.get_or_create(
        stripe_refund_id=stripe_refund_id,
        defaults={"order": order, "amount": amount, "currency": currency.upper(), "status": status, "created_by": user},
    )
    if not created:
        return refund, False
    message = f"Refund {stripe_refund_id}: {format_money(refund.amount, refund.currency)}."
    record_order_event(
        order=order, kind="refund", user=user, stripe_event_id=stripe_event_id, message=f"{message} {note}".strip()
    )
    if status in Refund.COUNTED_STATUSES and announce:
        email_id = record_order_email(order_id=order.pk, kind="refund", refund=refund)
        transaction.on_commit(lambda: deliver_order_email(order_id=order.pk, kind="refund", email_id=email_id))
    return refund, True


def _refund_target(order: Order, refunded) -> str:
    """The status the refunds that count add up to; none at all: paid, or shipped if it went out."""
    if refunded >= order.total:
        return Status.REFUNDED
    if refunded > 0:
        return Status.PARTIALLY_REFUNDED
    return Status.SHIPPED if order.shipped_at else Status.PAID


def sync_refund_status(order: Order, *, user=None, stripe_event_id: str = "") -> None:
    """Move the (locked) order to partially refunded or refunded as the refunds that count add up, and back
    (refunded → partially refunded → paid or shipped) when one that counted failed."""
    refunded = order.amount_refunded
    if refunded <= 0 and order.status not in (Status.PARTIALLY_REFUNDED, Status.REFUNDED):
        return
    target = _refund_target(order, refunded)
    if order.status == target:
        return
    if order.status in (*REFUNDABLE_STATUSES, Status.REFUNDED) and target in ALLOWED_TRANSITIONS[order.status]:
        failed = target in (Status.PAID, Status.SHIPPED) or order.status == Status.REFUNDED
        transition_order(
            order=order,
            to_status=target,
            user=user,
            stripe_event_id=stripe_event_id,
            message=f"{'A refund failed: ' if failed else ''}{refunded} {order.currency} refunded in total.",
        )
    elif order.status == Status.PENDING_PAYMENT or (order.status == Status.CANCELLED and order.paid_at is None):
        flag_order(
            order=order,
            stripe_event_id=stripe_event_id,
            reason=f"Stripe reports a refund of {refunded} {order.currency}.",
        )


def _refunds_of_charge(charge: dict) -> list[dict]:
    """Every refund of the charge, each with its Stripe id. The pinned API version no longer embeds the list
    in the charge (older ones embed the first page), so it is asked for; a Stripe error is raised, which leaves
    the event failed and retried, rather than recording refunds under made-up ids that a later list would
    count a second time."""
    embedded = charge.get("refunds")
    if isinstance(embedded, dict) and isinstance(embedded.get("data"), list) and not embedded.get("has_more"):
        return embedded["data"]
    charge_id = id_of(charge.get("id"))
    if not charge_id:
        return []
    found = get_stripe_client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
    return [as_dict(item) for item in found.auto_paging_iter()]


def _apply_reported_refund(order: Order, item: dict, currency: str, stripe_event_id: str) -> None:
    """One refund as Stripe reports it (in a charge's list, or a refund event): recorded once by its id, then
    its status followed. One we first hear of as failed is kept without counting, and staff are told."""
    status = item.get("status") or "succeeded"
    failure_reason = item.get("failure_reason") or ""
    counted = status in Refund.COUNTED_STATUSES
    refund, created = record_refund(
        order=order,
        stripe_refund_id=item["id"],
        amount=from_minor_units(item["amount"], currency),
        currency=currency,
        status=status,
        stripe_event_id=stripe_event_id,
        note="" if counted else f"Stripe reports it {status} (Stripe's reason: {failure_reason or 'none given'}).",
    )
    if not created:
        change_refund_status(
            order=order,
            refund=refund,
            status=item.get("status") or "",
            failure_reason=failure_reason,
            stripe_event_id=stripe_event_id,
        )
    elif not counted:
        ask_staff_to_refund_again(
            order=order, refund=refund, failure_reason=failure_reason, stripe_event_id=stripe_event_id
        )


def apply_charge_refunded(*, order: Order, charge: dict, stripe_event_id: str = "") -> None:
    """Record every refund the charge lists (one row each, by Stripe id), then derive the order's state.
    Refunds made in the Stripe dashboard arrive here too."""
    currency = (charge.get("currency") or order.currency).lower()
    for item in _refunds_of_charge(charge):
        _apply_reported_refund(order, item, currency, stripe_event_id)
    # Newer API versions do not embed the refunds list; the charge's cumulative total still tells the truth.
    # A failed refund leaves that total, but an older copy of the charge (a late delivery) still has it: a
    # refund is unlisted only when Stripe reports more than every refund we know of, whatever became of it.
    reported = from_minor_units(charge.get("amount_refunded") or 0, currency)
    known = order.refunds.aggregate(total=Sum("amount"))["total"] or 0
    if reported > known:
        record_refund(
            order=order,
            stripe_refund_id=f"{charge.get('id')}:unlisted:{charge.get('amount_refunded')}",
            amount=reported - known,
            currency=currency,
            status="succeeded",
            stripe_event_id=stripe_event_id,
            note="Reported by Stripe in the charge's total.",
        )
    sync_refund_status(order, stripe_event_id=stripe_event_id)


def apply_refund_update(*, order: Order, refund: dict, stripe_event_id: str = "") -> None:
    """A refund of the (locked) order as Stripe's refund events report it (charge.refund.updated,
    refund.updated, refund.failed): its status followed, then the order's state derived again. The three
    events of one change, or one delivered twice, change it once."""
    currency = (refund.get("currency") or order.currency).lower()
    _apply_reported_refund(order, refund, currency, stripe_event_id)
    sync_refund_status(order, stripe_event_id=stripe_event_id)


def is_refundable(order: Order) -> bool:
    """Paid and not wholly refunded, or cancelled after its payment arrived (flagged for a refund)."""
    paid_then_cancelled = order.status == Status.CANCELLED and order.paid_at is not None
    return bool(order.payment_intent_id) and (order.status in REFUNDABLE_STATUSES or paid_then_cancelled)


def _refund_amount(order: Order, amount: Decimal | None) -> Decimal:
    """The amount to refund (default: all that is left), or OrderError when it cannot be."""
    remaining = order.total - order.amount_refunded
    amount = remaining if amount is None else Decimal(amount)
    smallest = Decimal(1).scaleb(-min(currency_exponent(order.currency), 2))
    if amount < smallest or amount > remaining:
        raise OrderError("invalid_amount", f"Refund between {smallest} and {remaining} {order.currency}.")
    if not is_payable_amount(amount, order.currency):
        raise OrderError("invalid_amount", f"{order.currency} amounts have no fractions smaller than {smallest}.")
    return amount


def create_refund(
    *, order: Order, amount: Decimal, user, reason: str = "", note: str = "", purpose: str = "", announce: bool = True
) -> Refund:
    """Refund `amount` of the (locked, refundable) order through Stripe and record it; OrderError when Stripe
    refuses. `purpose` names it in the idempotency key (default: the order's refund count and the amount)."""
    minor = to_minor_units(amount, order.currency)
    params = {"payment_intent": order.payment_intent_id, "amount": minor, "metadata": {"order_number": order.number}}
    if reason in REFUND_REASONS:
        params["reason"] = reason
    purpose = purpose or f"refund-{order.refunds.count()}-{minor}"
    try:
        result = get_stripe_client().v1.refunds.create(
            params=params, options={"idempotency_key": order.idempotency_key(purpose)}
        )
    except stripe.StripeError as exc:
        raise OrderError("refund_failed", f"Stripe refused the refund: {exc.user_message or exc}", 502) from None
    label = REFUND_REASONS.get(reason, "")
    refund, _created = record_refund(
        order=order,
        stripe_refund_id=result.id,
        amount=amount,
        currency=order.currency,
        status=result.status or "pending",
        user=user,
        note=" — ".join(part for part in (label, note.strip()) if part),
        announce=announce,
    )
    return refund


def refund_order(*, order: Order, amount: Decimal | None = None, user, reason: str = "", note: str = "") -> Refund:
    """Refund `amount` (default: all that is left) through Stripe, for one of Stripe's `reason`s (or none),
    with staff's `note` kept in the order's history. Needs the `shop.refund_order` permission."""
    if user is None or not user.has_perm("shop.refund_order"):
        raise PermissionDenied("Refunds need the 'Can refund orders through Stripe' permission.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if not is_refundable(order):
            raise OrderError(
                "not_refundable",
                f"Order {order.number} is {order.get_status_display().lower()}: nothing to refund.",
                409,
            )
        amount = _refund_amount(order, amount)
        refund = create_refund(order=order, amount=amount, user=user, reason=reason, note=note)
        sync_refund_status(order, user=user)
    return refund
