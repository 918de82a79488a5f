"""Fulfilment: one idempotent function, keyed by the Checkout Session, brings its order in line with
the session (paid, awaiting a delayed payment, or cancelled). The webhook, the success page and
reconciliation all call it.

A paid session is checked and its amounts recorded by shop.settlement; the customer's promotional consent,
given on Stripe's page, goes to the consent log, and an expired session may owe a recovery email
(shop.recovery). A session Stripe recovered from the order's expired one pays that order.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from payments.client import as_dict, get_stripe_client, id_of
from payments.events import apply_deferred_events
from shop.history import record_order_event
from shop.models import Order
from shop.orders import flag_order, transition_order
from shop.recovery import record_session_consent, schedule_recovery
from shop.settlement import record_settlement, settlement_problem
from shop.stock import reserve_stock_again

Status = Order.Status


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def find_order_for_session(session: dict, *, stripe_event_id: str = "") -> Order | None:
    """The order this session may change, locked (call inside a transaction); None when it has none.

    A session is its order's own (`order.checkout_session_id`, or the `recovery_session_id` that paid it). Two others are accepted for the order
    they name by number (`client_reference_id`, or `metadata.order_number`): a session Stripe made before
    we stored its id (the id known to no order, the order holding none), and Stripe's checkout recovery
    (`recovered_from` is the order's own session). Any other session that names an order's number is not
    applied to it: that order is flagged for staff (issue 10, item 11: anyone could pay order B otherwise).
    """
    session_id = _text(session.get("id"))
    if not session_id:
        return None
    order = (
        Order.objects.select_for_update()
        .filter(Q(checkout_session_id=session_id) | Q(recovery_session_id=session_id))
        .first()
    )
    if order is not None:
        return order
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    number = _text(session.get("client_reference_id")) or _text(metadata.get("order_number"))
    order = Order.objects.select_for_update().filter(number=number).first() if number else None
    if order is None:
        return None
    recovered_from = _text(session.get("recovered_from"))
    if not order.checkout_session_id or (recovered_from and recovered_from == order.checkout_session_id):
        return order
    flag_order(
        order=order,
        stripe_event_id=stripe_event_id,
        reason=f"Stripe session {session_id} names this order but is not its own session: not applied.",
    )
    return None


def fulfil_checkout_session(
    *, session_id: str, session: dict | None = None, stripe_event_id: str = "", source: str = "success_page"
) -> Order | None:
    """Bring the order of Checkout Session `session_id` in line with the session. Idempotent; called by the
    webhook (with the event's session) and by the success page and reconciliation (which retrieve it).
    Returns the order, or None when no order has this session."""
    if session is None:
        session = as_dict(get_stripe_client().v1.checkout.sessions.retrieve(session_id))
    with transaction.atomic():
        order = find_order_for_session(session, stripe_event_id=stripe_event_id)
        if order is None:
            return None
        apply_checkout_session(order=order, session=session, stripe_event_id=stripe_event_id, source=source)
    return order


def apply_checkout_session(*, order: Order, session: dict, stripe_event_id: str = "", source: str = "") -> None:
    """The effects of a session's state on its (locked) order. What changes on the order row is written in one
    UPDATE where it can be (the transition's, when the session pays it)."""
    changed = []
    if not order.checkout_session_id and session.get("id"):
        order.checkout_session_id = session["id"]
        changed += ["checkout_session_id", "updated_at"]
    status = session.get("status")
    if status in ("complete", "expired"):
        record_session_consent(order=order, session=session)
    if status == "complete":
        changed += store_customer_details(order, session)
        if session.get("payment_status") in ("paid", "no_payment_required"):
            _mark_paid(order, session, stripe_event_id, source, changed)
        else:
            _save(order, changed)
            if order.status == Status.PENDING_PAYMENT and not order.events.filter(kind="awaiting_payment").exists():
                record_order_event(
                    order=order,
                    kind="awaiting_payment",
                    message="Checkout completed with a delayed payment method; waiting for the payment to clear.",
                    stripe_event_id=stripe_event_id,
                )
        apply_deferred_events(payment_intent_id=order.payment_intent_id)
    elif status == "expired":
        _save(order, changed)
        if order.status == Status.PENDING_PAYMENT:
            transition_order(
                order=order,
                to_status=Status.CANCELLED,
                stripe_event_id=stripe_event_id,
                message="Checkout session expired.",
            )
        schedule_recovery(order=order, session=session)
    else:
        _save(order, changed)


def _save(order: Order, fields: list[str]) -> None:
    """Write the fields the caller set (none: no query); a field set to an SQL expression is read again from the
    row when it is next used, not kept as the expression."""
    if fields:
        order.save(update_fields=list(dict.fromkeys(fields)))
    for name, value in list(vars(order).items()):
        if hasattr(value, "resolve_expression"):
            del vars(order)[name]  # a deferred field now: loaded on first use


def apply_failed_payment(*, order: Order, session: dict, stripe_event_id: str) -> None:
    """A delayed payment method failed: the (locked) order is cancelled and its units go back."""
    _save(order, store_customer_details(order, session))
    if order.status == Status.PENDING_PAYMENT:
        transition_order(
            order=order,
            to_status=Status.CANCELLED,
            stripe_event_id=stripe_event_id,
            message="The delayed payment failed.",
        )


def store_customer_details(order: Order, session: dict) -> list[str]:
    """Set the payment intent, name and address the session knows and the order not yet; the fields set (the
    caller saves them)."""
    customer = session.get("customer_details") or {}
    shipping = (session.get("collected_information") or {}).get("shipping_details") or session.get("shipping_details")
    fields = []
    payment_intent_id = id_of(session.get("payment_intent"))
    if payment_intent_id and order.payment_intent_id != payment_intent_id:
        order.payment_intent_id = payment_intent_id
        fields.append("payment_intent_id")
    name = (shipping or {}).get("name") or customer.get("name") or ""
    if name and not order.customer_name:
        order.customer_name = name[:200]
        fields.append("customer_name")
    address = (shipping or {}).get("address") or customer.get("address")
    if address and not order.shipping_address:
        order.shipping_address = {k: v for k, v in address.items() if v}
        fields.append("shipping_address")
    return [*fields, "updated_at"] if fields else []


def _mark_paid(order: Order, session: dict, stripe_event_id: str, source: str, changed: list[str]) -> None:
    problem = settlement_problem(order, session)
    if problem:
        _save(order, changed)
        flag_order(order=order, stripe_event_id=stripe_event_id, reason=problem)
        return
    if order.status not in (Status.PENDING_PAYMENT, Status.CANCELLED):
        _save(order, changed)
        return  # paid already: a duplicate, or a copy seen by another path, changes nothing
    changed += record_settlement(order, session)
    recovered = _is_recovered_session(order, session)
    if recovered:
        _save(order, changed)
        changed = []
        _note_recovered_session(order, session, stripe_event_id)
    if order.status == Status.PENDING_PAYMENT:
        # The customer's details, the settlement and the status in the transition's one UPDATE.
        via = f" (seen by the {source.replace('_', ' ')})" if source and not stripe_event_id else ""
        transition_order(
            order=order,
            to_status=Status.PAID,
            stripe_event_id=stripe_event_id,
            message=f"Payment received{via}.",
            also_save=changed,
        )
        _save(order, [])
    else:
        _save(order, changed)
        _mark_cancelled_order_paid(order, stripe_event_id, recovered=recovered)


def _is_recovered_session(order: Order, session: dict) -> bool:
    recovered_from = session.get("recovered_from")
    return bool(recovered_from) and recovered_from == order.checkout_session_id != session.get("id")


def _note_recovered_session(order: Order, session: dict, stripe_event_id: str) -> None:
    """A session Stripe recovered from the order's expired one is paying it: keep its id (the success page and
    later events find the order by it) and say so in the order's history."""
    session_id = session.get("id")
    if order.recovery_session_id != session_id:
        order.recovery_session_id = session_id
        order.save(update_fields=["recovery_session_id", "updated_at"])
        record_order_event(
            order=order,
            kind="recovered",
            stripe_event_id=stripe_event_id,
            message=f"Paid through Stripe's recovery of its expired checkout (session {session_id}).",
        )


def _mark_cancelled_order_paid(order: Order, stripe_event_id: str, *, recovered: bool = False) -> None:
    # Paid after we cancelled it (the session expired or staff cancelled it while the customer was paying, or
    # the customer came back through Stripe's recovery link). The customer has paid: sell them the units if
    # they are still on hand, otherwise a person refunds.
    if reserve_stock_again(order=order):
        how = "through the recovered checkout" if recovered else "after the order was cancelled"
        transition_order(
            order=order,
            to_status=Status.PAID,
            stripe_event_id=stripe_event_id,
            message=f"Payment received {how}; its units were reserved again.",
        )
        return
    if order.paid_at is None:
        order.paid_at = timezone.now()  # the money is in: staff may refund this cancelled order
        order.save(update_fields=["paid_at", "updated_at"])
    flag_order(
        order=order,
        stripe_event_id=stripe_event_id,
        reason="Payment received for a cancelled order whose units are no longer in stock: refund it.",
    )
