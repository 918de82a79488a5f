"""What the shop holds about one customer (an email address, any case), for the accounts app's export and
erasure (README, "Your data").

Erasure keeps the orders, their lines, amounts, dates and history for the accounts (tax law wants them), but not
the person: the email becomes the erasure's pseudonym (`erased-…@invalid`, never mailed: core.mail), the name
goes, the address keeps only its country and state (the tax jurisdiction), and the masked address in the order
history goes too. It waits while an order is paid and not shipped; an open checkout is cancelled first.
"""

import re

from django.db import transaction

from core.errors import Refusal
from core.privacy import as_record
from shop.customer import UNSHIPPED_STATUSES, open_checkouts, orders_being_packed, orders_of
from shop.models import CheckoutRecovery, Order, OrderEmail, OrderEvent
from shop.orders import OrderError
from shop.staff import cancel_order

ORDER_NOT_EXPORTED = frozenset(
    # Keys, not facts about the person (the order page's token, Stripe's expired link, our hash of their network
    # address), and the staff's own working notes.
    {"token", "checkout_url", "client_hash", "staff_notes", "needs_attention", "attention_reason"}
)
STAFF_EVENT_KINDS = frozenset({"note", "flagged"})  # the staff's notes on an order, not something that concerns them
KEPT_ADDRESS_PARTS = ("country", "state")  # where the sale was taxed
MASKED_EMAIL = re.compile(r"\S\*\*\*@\S+")  # core.redaction.mask_email's form, as order events name the address
ERASED_CANCEL_REASON = "Cancelled: the customer asked us to erase their data."


class ErasureBlocked(Refusal):
    """An erasure that must wait: an order being packed (`order_being_packed`)."""

    status_code = 409


# --- export ---------------------------------------------------------------------------------


def _order_record(order: Order) -> dict:
    record = as_record(order, exclude=ORDER_NOT_EXPORTED)
    record["lines"] = [as_record(line, exclude={"order"}) for line in order.lines.all()]
    record["events"] = [
        as_record(event, exclude={"order", "actor", "actor_user", "stripe_event_id"})
        for event in order.events.all()
        if event.kind not in STAFF_EVENT_KINDS
    ]
    record["emails"] = [as_record(email, exclude={"order", "last_error"}) for email in order.emails.all()]
    record["refunds"] = [as_record(refund, exclude={"order", "created_by"}) for refund in order.refunds.all()]
    record["returns"] = [
        {
            **as_record(order_return, exclude={"order", "created_by", "note"}),
            "lines": [as_record(line, exclude={"order_return"}) for line in order_return.lines.all()],
        }
        for order_return in order.returns.all()
    ]
    record["recovery_emails"] = [
        as_record(recovery, exclude={"order", "recovery_url", "last_error"}) for recovery in order.recoveries.all()
    ]
    return record


def export_orders(email: str) -> list[dict]:
    """Every order of the address with its lines, the history that concerns the customer, the emails it owed
    them, its refunds, returns and checkout-recovery emails; oldest first, in a fixed number of queries."""
    orders = orders_of(email).order_by("created_at", "pk")
    related = ("lines", "events", "emails", "refunds", "returns__lines", "recoveries")
    return [_order_record(order) for order in orders.prefetch_related(*related)]


def stripe_ids_of(email: str) -> dict[str, set[str]]:
    """The Stripe objects the address's orders name: for finding the stored Stripe events about them."""
    orders = orders_of(email).values_list("payment_intent_id", "checkout_session_id", "recovery_session_id")
    intents = {intent for intent, _, _ in orders if intent}
    sessions = {session for _, own, recovered in orders for session in (own, recovered) if session}
    recovered = CheckoutRecovery.objects.filter(order__in=orders_of(email)).values_list("session_id", flat=True)
    return {"payment_intent_ids": intents, "object_ids": sessions | set(recovered)}


# --- erasure --------------------------------------------------------------------------------


def refuse_while_packing(email: str) -> None:
    """ErasureBlocked while an order of the address is paid and not shipped yet."""
    packing = orders_being_packed(email)
    if packing:
        numbers = ", ".join(order.number for order in packing)
        raise ErasureBlocked(
            "order_being_packed",
            f"We are packing your order {numbers}; erase after it ships, or ask us to cancel it.",
        )


def close_open_checkouts(email: str) -> int:
    """Cancel the address's unpaid orders (their Stripe Checkout is expired first, so nobody pays them later);
    ErasureBlocked when one was paid meanwhile. Raises OrderError (503) when Stripe cannot be reached."""
    closed = 0
    for order in open_checkouts(email):
        try:
            cancel_order(order=order, reason=ERASED_CANCEL_REASON)
        except OrderError as refusal:
            if refusal.code != "not_cancellable":
                raise
            refuse_while_packing(email)  # it was paid a moment ago: now it is being packed
            raise
        closed += 1
    return closed


def _kept_address(address) -> dict:
    address = address if isinstance(address, dict) else {}
    return {part: address[part] for part in KEPT_ADDRESS_PARTS if address.get(part)}


@transaction.atomic
def erase_orders(*, email: str, pseudonym: str) -> dict:
    """The address's orders keep their amounts, dates, lines and history, not the person. Locks the orders (in
    primary-key order, as every order change does) and checks again that none is being packed."""
    orders = list(orders_of(email).select_for_update().order_by("pk"))
    if any(order.status in UNSHIPPED_STATUSES and order.shipped_at is None for order in orders):
        refuse_while_packing(email)
    for order in orders:
        order.email, order.customer_name, order.client_hash, order.checkout_url = pseudonym, "", "", ""
        order.shipping_address = _kept_address(order.shipping_address)
    Order.objects.bulk_update(
        orders, ["email", "customer_name", "client_hash", "checkout_url", "shipping_address"], batch_size=200
    )
    events = list(OrderEvent.objects.filter(order__in=orders, message__contains="***@"))
    for event in events:
        event.message = MASKED_EMAIL.sub("an erased address", event.message)
    OrderEvent.objects.bulk_update(events, ["message"], batch_size=200)
    OrderEmail.objects.filter(order__in=orders).exclude(last_error="").update(last_error="")
    recoveries = CheckoutRecovery.objects.filter(order__in=orders)
    recoveries.filter(status=CheckoutRecovery.Status.PENDING).update(
        status=CheckoutRecovery.Status.SKIPPED, skipped_reason="The customer's data was erased."
    )
    recoveries.update(email=pseudonym, recovery_url="", last_error="")
    return {"orders": len(orders)}
