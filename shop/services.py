"""Writes that span several models: checkout, fulfilment, order transitions, refunds, reconciliation.

Order status changes happen only in `transition_order`; everything else calls it.
Stripe is reached only through `shop.stripe_client.get_stripe_client()`.
"""

import json
import logging
import secrets
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.errors import Refusal
from core.mail import send_templated_email
from core.redaction import loggable, mask_email
from shop.models import Cart, CartLine, Order, OrderEvent, OrderLine, Product, Refund, StripeEvent
from shop.signals import order_paid, order_refunded
from shop.stripe_client import (
    currency_exponent,
    from_minor_units,
    get_stripe_client,
    is_payable_amount,
    to_minor_units,
)

logger = logging.getLogger(__name__)
S = Order.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.SHIPPED, S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.SHIPPED: {S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.PARTIALLY_REFUNDED: {S.REFUNDED},
    S.REFUNDED: set(),
    # Only when a payment arrives after the cancellation and the units could be reserved again (_mark_paid).
    S.CANCELLED: {S.PAID},
}
REFUNDABLE_STATUSES = (S.PAID, S.SHIPPED, S.PARTIALLY_REFUNDED)
CHECKOUT_SESSION_LIFETIME = timedelta(minutes=31)  # Stripe's minimum is 30 minutes from the moment it gets the call
RECONCILE_GRACE = timedelta(minutes=5)  # let Stripe's own expiry event arrive first
ORDER_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


class OrderError(Refusal):
    """An order change refused (a refund too large, a cancel after payment, …)."""


class CheckoutError(OrderError):
    pass


class IllegalTransition(OrderError):
    pass


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    checkout_url: str
    session_id: str


# --- status changes: the one place -------------------------------------------------------------


def _actor_label(user, stripe_event_id: str) -> str:
    if user is not None:
        return f"staff:{user.get_username()}"
    if stripe_event_id:
        return f"stripe:{stripe_event_id}"
    return "system"


def record_order_event(
    *, order: Order, kind: str, message: str, user=None, stripe_event_id: str = "", from_status="", to_status=""
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message,
        from_status=from_status,
        to_status=to_status,
        actor_user=user,
        stripe_event_id=stripe_event_id,
        actor=_actor_label(user, stripe_event_id),
    )


def transition_order(
    *, order: Order, to_status: str, user=None, stripe_event_id: str = "", message: str = ""
) -> OrderEvent:
    """Move `order` to `to_status` if the status machine allows it, record who did it, and run the
    transition's consequences (stock release, announcements after commit). Call inside a transaction
    with the order row locked (`select_for_update`)."""
    from_status = order.status
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise IllegalTransition(
            "illegal_transition",
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot become "
            f"{S(to_status).label.lower()}.",
            409,
        )
    if from_status == S.CANCELLED and order.stock_released_at is not None:
        raise IllegalTransition(
            "illegal_transition", f"Order {order.number} gave its units back to stock; reserve them first.", 409
        )
    now = timezone.now()
    order.status = to_status
    fields = ["status", "updated_at"]
    if to_status == S.PAID:
        order.paid_at = now
        fields.append("paid_at")
    elif to_status == S.SHIPPED:
        order.shipped_at = now
        fields.append("shipped_at")
    elif to_status == S.CANCELLED:
        release_stock(order=order)
    order.save(update_fields=fields)
    event = record_order_event(
        order=order,
        kind="transition",
        message=message,
        user=user,
        stripe_event_id=stripe_event_id,
        from_status=from_status,
        to_status=to_status,
    )
    order_id = order.pk
    if to_status == S.PAID:
        transaction.on_commit(lambda: _announce_paid(order_id))
    elif to_status == S.SHIPPED:
        transaction.on_commit(lambda: deliver_order_email(order_id=order_id, kind="shipped"))
    elif to_status == S.REFUNDED:
        transaction.on_commit(lambda: _announce_refunded(order_id))
    return event


def flag_order(*, order: Order, reason: str, stripe_event_id: str = "", user=None) -> None:
    """Ask a person to look at the order; the same reason is recorded once."""
    if reason in order.attention_reason:
        return
    order.needs_attention = True
    order.attention_reason = f"{order.attention_reason}\n{reason}".strip()
    order.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
    record_order_event(order=order, kind="flagged", message=reason, stripe_event_id=stripe_event_id, user=user)
    logger.warning("order %s flagged: %s", order.number, reason)


def release_stock(*, order: Order) -> bool:
    """Give the order's reserved units back to stock, once. Locks products in pk order."""
    if order.stock_released_at is not None:
        return False
    quantities: dict[int, int] = {}
    for line in OrderLine.objects.filter(order=order):
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    for product in Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk"):
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + quantities[product.pk])
    order.stock_released_at = timezone.now()
    order.save(update_fields=["stock_released_at", "updated_at"])
    return True


def reserve_stock_again(*, order: Order) -> bool:
    """Take a cancelled order's released units from stock again, all or nothing (products locked in pk order).
    False when any of them is no longer on hand."""
    if order.stock_released_at is None:
        return True
    quantities: dict[int, int] = {}
    for line in OrderLine.objects.filter(order=order):
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    products = list(Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk"))
    if len(products) != len(quantities) or any(p.stock < quantities[p.pk] for p in products):
        return False
    for product in products:
        Product.objects.filter(pk=product.pk).update(stock=F("stock") - quantities[product.pk])
    order.stock_released_at = None
    order.save(update_fields=["stock_released_at", "updated_at"])
    return True


def _announce_paid(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    deliver_order_email(order_id=order_id, kind="confirmation", order=order)
    for receiver, result in order_paid.send_robust(sender=Order, order=order):
        if isinstance(result, Exception):
            logger.error("order_paid receiver %r failed for %s: %s", receiver, order.number, loggable(result))


def _announce_refunded(order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    for receiver, result in order_refunded.send_robust(sender=Order, order=order):
        if isinstance(result, Exception):
            logger.error("order_refunded receiver %r failed for %s: %s", receiver, order.number, loggable(result))


# --- emails ---------------------------------------------------------------------------------------

ORDER_EMAILS = {
    "confirmation": ("shop/email/order_confirmation", "Your Hod & Hod order {number} is confirmed"),
    "shipped": ("shop/email/order_shipped", "Your Hod & Hod order {number} is on its way"),
}


def send_order_email(*, order: Order, kind: str) -> str:
    template, subject = ORDER_EMAILS[kind]
    lines = list(order.lines.all())
    message_id = send_templated_email(
        to=order.email,
        subject=subject.format(number=order.number),
        template=template,
        context={"order": order, "lines": lines, "status_url": order.status_url},
    )
    record_order_event(order=order, kind="email", message=f"{kind} email sent to {mask_email(order.email)}")
    return message_id


def deliver_order_email(*, order_id: int, kind: str, order: Order | None = None) -> None:
    """Send now; if the mail server is down, hand it to a retrying Celery task."""
    try:
        send_order_email(order=order or Order.objects.get(pk=order_id), kind=kind)
    except Exception as exc:
        logger.error("sending the %s email for order %s failed (%s); queueing a retry", kind, order_id, loggable(exc))
        from shop.tasks import send_order_email_task

        try:
            send_order_email_task.delay(order_id, kind)
        except Exception as exc:
            logger.error("could not queue the %s email for order %s: %s", kind, order_id, loggable(exc))


# --- checkout -------------------------------------------------------------------------------------


def _new_order_number() -> str:
    return "HH-" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(7))


def _create_order(**fields) -> Order:
    for _ in range(5):
        try:
            with transaction.atomic():
                return Order.objects.create(number=_new_order_number(), **fields)
        except IntegrityError:
            continue
    raise IntegrityError("could not find a free order number")


@transaction.atomic
def reserve_cart(*, cart: Cart, email: str) -> Order:
    """Turn an open cart into a `pending_payment` order, taking its units from stock; all or nothing."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if not cart.is_open:
        raise CheckoutError("cart_checked_out", "This cart has already been checked out; start a new one.", 409)
    lines = list(CartLine.objects.filter(cart=cart).order_by("pk"))
    if not lines:
        raise CheckoutError("empty_cart", "Your cart is empty: add a product before checking out.")
    # Check and reserve under one lock, rows locked in pk order so two carts never deadlock.
    products = {
        p.pk: p
        for p in Product.objects.select_for_update().filter(pk__in=[line.product_id for line in lines]).order_by("pk")
    }
    currencies = {products[line.product_id].currency for line in lines}
    if len(currencies) != 1:
        raise CheckoutError("mixed_currencies", "A cart can only hold products priced in one currency.")
    for line in lines:
        product = products[line.product_id]
        if not product.is_active:
            raise CheckoutError("product_unavailable", f"{product.name} is no longer for sale.", 409)
        if not is_payable_amount(product.price, product.currency):  # e.g. a yen price with cents
            logger.error(
                "product %s has a price Stripe cannot charge: %s %s", product.sku, product.price, product.currency
            )
            raise CheckoutError("product_unavailable", f"{product.name} cannot be bought right now.", 409)
        if line.quantity > product.stock:
            left = f"only {product.stock} left" if product.stock else "none left"
            raise CheckoutError("out_of_stock", f"{product.name} is out of stock ({left}).", 409)
    for line in lines:
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") - line.quantity)
    total = sum((products[line.product_id].price * line.quantity for line in lines), Decimal("0.00"))
    order = _create_order(email=email, currency=currencies.pop(), total=total)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=products[line.product_id],
            product_name=products[line.product_id].name,
            sku=products[line.product_id].sku,
            unit_price=products[line.product_id].price,
            quantity=line.quantity,
        )
        for line in lines
    )
    units = sum(line.quantity for line in lines)
    record_order_event(
        order=order, kind="created", to_status=order.status, message=f"Order placed; {units} unit(s) reserved."
    )
    cart.checked_out_at = timezone.now()
    cart.order = order
    cart.save(update_fields=["checked_out_at", "order", "updated_at"])
    return order


def _idempotency_key(order: Order, purpose: str) -> str:
    # Derived from the order, so a retried call (ours or the client library's) never makes a second one.
    return f"hodhod:{purpose}:{order.number}:{order.token[:12]}"


def create_checkout_session(*, order: Order, success_url: str | None = None, cancel_url: str | None = None):
    lines = list(order.lines.all())
    # From the order, not the clock: a retry under the same idempotency key must send the same parameters,
    # or Stripe refuses it (idempotency_error) instead of answering the session it already made.
    expires_at = order.created_at.replace(microsecond=0) + CHECKOUT_SESSION_LIFETIME
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": to_minor_units(line.unit_price, order.currency),
                    "product_data": {"name": line.product_name},
                },
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "client_reference_id": order.number,
        "customer_email": order.email,
        "success_url": success_url or f"{settings.SITE_URL}/checkout/success/?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": cancel_url or f"{settings.SITE_URL}/checkout/cancel/?order={order.token}",
        "expires_at": int(expires_at.timestamp()),
        "shipping_address_collection": {
            "allowed_countries": list(getattr(settings, "SHOP_SHIPPING_COUNTRIES", ["US"]))
        },
        "metadata": {"order_number": order.number},
    }
    return get_stripe_client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": _idempotency_key(order, "checkout-session")}
    )


def start_checkout(
    *, cart: Cart, email: str, success_url: str | None = None, cancel_url: str | None = None
) -> CheckoutResult:
    """Reserve the cart's units in a new order, then open a Stripe Checkout Session for it.

    Raises CheckoutError (empty_cart, out_of_stock, product_unavailable, invalid_email, cart_checked_out,
    payment_unavailable). If Stripe cannot be reached the order is cancelled, its stock released and the
    cart reopened, so the customer can simply try again.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise CheckoutError("invalid_email", "Enter a valid email address, like name@example.com.") from None
    order = reserve_cart(cart=cart, email=email)
    # Stripe is called outside the reservation's transaction: a slow Stripe never holds product locks.
    try:
        session = create_checkout_session(order=order, success_url=success_url, cancel_url=cancel_url)
    except stripe.StripeError as exc:
        logger.error("creating a checkout session for %s failed: %s", order.number, loggable(exc))
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            transition_order(order=locked, to_status=S.CANCELLED, message="Stripe could not open a checkout session.")
            Cart.objects.filter(pk=cart.pk).update(checked_out_at=None, order=None)
        raise CheckoutError(
            "payment_unavailable", "Payment is unavailable right now; nothing was charged. Try again shortly.", 503
        ) from None
    order.checkout_session_id = session.id
    order.checkout_url = session.url or ""
    order.checkout_expires_at = datetime.fromtimestamp(session.expires_at, tz=UTC) if session.expires_at else None
    order.save(update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at", "updated_at"])
    logger.info("order %s opened checkout session for %s", order.number, mask_email(email))
    return CheckoutResult(order=order, checkout_url=order.checkout_url, session_id=session.id)


# --- fulfilment: one idempotent function keyed by the session id -----------------------------------


def _as_dict(obj) -> dict:
    if obj is None:
        return {}
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def _id_of(value) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""  # an id, or nothing: never a number or a list


def _find_order_for_session(session: dict) -> Order | None:
    order = Order.objects.select_for_update().filter(checkout_session_id=session.get("id")).first()
    if order is None:
        number = session.get("client_reference_id") or (session.get("metadata") or {}).get("order_number")
        if number:
            order = Order.objects.select_for_update().filter(number=number).first()
    return order


def fulfil_checkout_session(
    *, session_id: str, session: dict | None = None, stripe_event_id: str = "", source: str = "success_page"
) -> Order | None:
    """Bring the order of Checkout Session `session_id` in line with the session: paid, waiting for a
    delayed payment, or cancelled (expired). Idempotent; called by the webhook (with the event's
    session) and by the success page and reconciliation (which retrieve it from Stripe).
    Returns the order, or None when no order has this session."""
    if session is None:
        session = _as_dict(get_stripe_client().v1.checkout.sessions.retrieve(session_id))
    with transaction.atomic():
        order = _find_order_for_session(session)
        if order is None:
            return None
        apply_checkout_session(order=order, session=session, stripe_event_id=stripe_event_id, source=source)
    return order


def apply_checkout_session(*, order: Order, session: dict, stripe_event_id: str = "", source: str = "") -> None:
    """The effects of a session's state on its (locked) order."""
    if not order.checkout_session_id and session.get("id"):
        order.checkout_session_id = session["id"]
        order.save(update_fields=["checkout_session_id", "updated_at"])
    status = session.get("status")
    if status == "complete":
        _store_customer_details(order, session)
        if session.get("payment_status") in ("paid", "no_payment_required"):
            _mark_paid(order, session, stripe_event_id, source)
        elif order.status == S.PENDING_PAYMENT and not order.events.filter(kind="awaiting_payment").exists():
            record_order_event(
                order=order,
                kind="awaiting_payment",
                message="Checkout completed with a delayed payment method; waiting for the payment to clear.",
                stripe_event_id=stripe_event_id,
            )
        _apply_deferred_events(order)
    elif status == "expired" and order.status == S.PENDING_PAYMENT:
        transition_order(
            order=order, to_status=S.CANCELLED, stripe_event_id=stripe_event_id, message="Checkout session expired."
        )


def _store_customer_details(order: Order, session: dict) -> None:
    customer = session.get("customer_details") or {}
    shipping = (session.get("collected_information") or {}).get("shipping_details") or session.get("shipping_details")
    fields = []
    payment_intent_id = _id_of(session.get("payment_intent"))
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
    if fields:
        order.save(update_fields=[*fields, "updated_at"])


def _mark_paid(order: Order, session: dict, stripe_event_id: str, source: str) -> None:
    expected = to_minor_units(order.total, order.currency)
    amount, currency = session.get("amount_total"), str(session.get("currency") or "").lower()
    if amount != expected or currency != order.currency.lower():
        shown = from_minor_units(amount, currency or order.currency) if isinstance(amount, int) else amount
        paid = f"{shown} {currency.upper()}"
        flag_order(
            order=order,
            stripe_event_id=stripe_event_id,
            reason=f"Stripe reports {paid} paid but the order totals {order.total} {order.currency}: not marked paid.",
        )
        return
    if order.status == S.PENDING_PAYMENT:
        via = f" (seen by the {source.replace('_', ' ')})" if source and not stripe_event_id else ""
        transition_order(
            order=order, to_status=S.PAID, stripe_event_id=stripe_event_id, message=f"Payment received{via}."
        )
    elif order.status == S.CANCELLED:
        # Paid after we cancelled it (the session expired or staff cancelled it while the customer was paying).
        # The customer has paid: sell them the units if they are still on hand, otherwise a person refunds.
        if reserve_stock_again(order=order):
            transition_order(
                order=order,
                to_status=S.PAID,
                stripe_event_id=stripe_event_id,
                message="Payment received after the order was cancelled; its units were reserved again.",
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


# --- refunds -------------------------------------------------------------------------------------


def _sync_refund_status(order: Order, *, user=None, stripe_event_id: str = "") -> None:
    refunded = order.amount_refunded
    if refunded <= 0:
        return
    target = S.REFUNDED if refunded >= order.total else S.PARTIALLY_REFUNDED
    if order.status == target:
        return
    if order.status in REFUNDABLE_STATUSES and target in ALLOWED_TRANSITIONS[order.status]:
        transition_order(
            order=order,
            to_status=target,
            user=user,
            stripe_event_id=stripe_event_id,
            message=f"{refunded} {order.currency} refunded in total.",
        )
    elif order.status == S.PENDING_PAYMENT or (order.status == S.CANCELLED and order.paid_at is None):
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
    charge_id = _id_of(charge.get("id"))
    if not charge_id:
        return []
    found = get_stripe_client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
    return [_as_dict(item) for item in found.auto_paging_iter()]


def apply_charge_refunded(*, order: Order, charge: dict, stripe_event_id: str = "") -> None:
    """Record every refund the charge lists (one row each, by Stripe id), then derive the order's state.
    Refunds made in the Stripe dashboard arrive here too."""
    currency = (charge.get("currency") or order.currency).lower()
    listed = _refunds_of_charge(charge)
    for item in listed:
        refund, created = Refund.objects.get_or_create(
            stripe_refund_id=item["id"],
            defaults={
                "order": order,
                "amount": from_minor_units(item["amount"], currency),
                "currency": currency.upper(),
                "status": item.get("status") or "succeeded",
            },
        )
        if created:
            record_order_event(
                order=order,
                kind="refund",
                stripe_event_id=stripe_event_id,
                message=f"Refund {refund.stripe_refund_id}: {refund.amount} {refund.currency}.",
            )
        elif item.get("status") and refund.status != item["status"]:
            refund.status = item["status"]
            refund.save(update_fields=["status", "updated_at"])
    # Newer API versions do not embed the refunds list; the charge's cumulative total still tells the truth.
    reported = from_minor_units(charge.get("amount_refunded") or 0, currency)
    known = order.amount_refunded
    if reported > known:
        Refund.objects.get_or_create(
            stripe_refund_id=f"{charge.get('id')}:unlisted:{charge.get('amount_refunded')}",
            defaults={"order": order, "amount": reported - known, "currency": currency.upper(), "status": "succeeded"},
        )
        record_order_event(
            order=order,
            kind="refund",
            stripe_event_id=stripe_event_id,
            message=f"Refund of {reported - known} reported by Stripe.",
        )
    _sync_refund_status(order, stripe_event_id=stripe_event_id)


def is_refundable(order: Order) -> bool:
    """Paid and not wholly refunded, or cancelled after its payment arrived (flagged for a refund)."""
    paid_then_cancelled = order.status == S.CANCELLED and order.paid_at is not None
    return bool(order.payment_intent_id) and (order.status in REFUNDABLE_STATUSES or paid_then_cancelled)


def refund_order(*, order: Order, amount: Decimal | None = None, user) -> Refund:
    """Refund `amount` (default: all that is left) through Stripe. Needs the `shop.refund_order` permission."""
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
        remaining = order.total - order.amount_refunded
        amount = remaining if amount is None else Decimal(amount)
        smallest = Decimal(1).scaleb(-min(currency_exponent(order.currency), 2))
        if amount < smallest or amount > remaining:
            raise OrderError("invalid_amount", f"Refund between {smallest} and {remaining} {order.currency}.")
        if not is_payable_amount(amount, order.currency):
            raise OrderError("invalid_amount", f"{order.currency} amounts have no fractions smaller than {smallest}.")
        minor = to_minor_units(amount, order.currency)
        sequence = order.refunds.count()
        try:
            result = get_stripe_client().v1.refunds.create(
                params={
                    "payment_intent": order.payment_intent_id,
                    "amount": minor,
                    "metadata": {"order_number": order.number},
                },
                options={"idempotency_key": _idempotency_key(order, f"refund-{sequence}-{minor}")},
            )
        except stripe.StripeError as exc:
            raise OrderError("refund_failed", f"Stripe refused the refund: {exc.user_message or exc}", 502) from None
        refund, created = Refund.objects.get_or_create(
            stripe_refund_id=result.id,
            defaults={
                "order": order,
                "amount": amount,
                "currency": order.currency,
                "status": result.status or "pending",
                "created_by": user,
            },
        )
        if created:
            record_order_event(
                order=order, kind="refund", user=user, message=f"Refund {result.id}: {amount} {order.currency}."
            )
        _sync_refund_status(order, user=user)
    return refund


# --- staff actions --------------------------------------------------------------------------------


@transaction.atomic
def mark_shipped(*, order: Order, carrier: str, tracking_number: str, user=None) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    order.carrier = carrier.strip()
    order.tracking_number = tracking_number.strip()
    order.save(update_fields=["carrier", "tracking_number", "updated_at"])
    transition_order(
        order=order,
        to_status=S.SHIPPED,
        user=user,
        message=f"Shipped with {order.carrier}, tracking {order.tracking_number}.",
    )
    return order


def _expire_session(session_id: str) -> bool:
    try:
        get_stripe_client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError:
        return False
    return True


def cancel_order(*, order: Order, user=None, reason: str = "Cancelled by staff.") -> Order:
    """Cancel an unpaid order: expire its Checkout Session first so nobody can pay it afterwards."""
    if order.status != S.PENDING_PAYMENT:
        raise IllegalTransition(
            "not_cancellable",
            f"Order {order.number} is {order.get_status_display().lower()}; only unpaid orders can be cancelled.",
            409,
        )
    if order.checkout_session_id and not _expire_session(order.checkout_session_id):
        # The session could not be expired: usually it completed meanwhile. Fulfilment tells the truth.
        try:
            session = _as_dict(get_stripe_client().v1.checkout.sessions.retrieve(order.checkout_session_id))
        except stripe.StripeError:
            raise OrderError(
                "payment_unavailable", "Stripe cannot be reached; the order was not cancelled. Try again.", 503
            ) from None
        fulfil_checkout_session(session_id=order.checkout_session_id, session=session, source="staff_cancel")
        if session.get("status") == "complete":
            raise IllegalTransition(
                "not_cancellable",
                f"Order {order.number} has been paid, or a delayed payment is on its way; it was not cancelled.",
                409,
            )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == S.PENDING_PAYMENT:
            transition_order(order=order, to_status=S.CANCELLED, user=user, message=reason)
        elif order.status != S.CANCELLED:
            raise IllegalTransition(
                "not_cancellable", f"Order {order.number} was paid meanwhile; it was not cancelled.", 409
            )
    return order


@transaction.atomic
def add_staff_note(*, order: Order, note: str, user) -> None:
    record_order_event(order=order, kind="note", message=note, user=user)


# --- Stripe webhook events -----------------------------------------------------------------------

HANDLED_EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)


def verify_stripe_event(*, payload: bytes, sig_header: str) -> dict:
    """The event in a webhook body, once its Stripe-Signature is verified (default tolerance 300 s).

    Raises `stripe.SignatureVerificationError` (forged, wrong secret, stale) or `ValueError` (not an event).
    """
    from shop.stripe_client import construct_event

    construct_event(payload, sig_header)
    data = json.loads(payload)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise ValueError("not a Stripe event")
    if not isinstance(data.get("data"), dict):
        raise ValueError("not a Stripe event")
    if len(data["id"]) > 255 or len(data["type"]) > 100 or _has_nul(data):
        # Stripe's ids and types are short; PostgreSQL stores no NUL, in text or in jsonb.
        raise ValueError("not a Stripe event")
    return data


def _has_nul(value) -> bool:
    stack = [value]  # a loop, not recursion: a body nested 900 deep parses, and must not crash here
    while stack:
        value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def process_stripe_event(*, event: dict) -> str:
    """Store the event once by its id and apply it in the same transaction as its effects.

    The event row is locked (`select_for_update`) while it is applied, so two concurrent deliveries
    of one event cannot both apply it: the second waits, then sees it processed.
    A failure rolls the effects back, leaves the event `failed` with its error, and re-raises
    (the webhook answers non-2xx, Stripe retries; `retry_stripe_events` retries too).
    """
    event_id = event["id"]
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with transaction.atomic():
            # INSERT … ON CONFLICT DO NOTHING: a concurrent duplicate waits here until the first commits.
            StripeEvent.objects.bulk_create(
                [
                    StripeEvent(
                        id=event_id,
                        type=event["type"][:100],
                        payload=event,
                        payment_intent_id=(_id_of(obj.get("payment_intent")) if isinstance(obj, dict) else "")[:255],
                    )
                ],
                ignore_conflicts=True,
            )
            stored = StripeEvent.objects.select_for_update().get(pk=event_id)
            if stored.state in (StripeEvent.State.PROCESSED, StripeEvent.State.IGNORED):
                return "duplicate"
            stored.attempts += 1
            state = _apply_event(stored)
            stored.state = state
            stored.last_error = ""
            stored.processed_at = timezone.now() if state != StripeEvent.State.DEFERRED else None
            stored.save(update_fields=["state", "attempts", "last_error", "processed_at"])
            return str(state)
    except Exception as exc:
        logger.error("applying Stripe event %s failed: %s", event_id, loggable(exc))
        with transaction.atomic():
            stored, _ = StripeEvent.objects.get_or_create(
                id=event_id, defaults={"type": event["type"][:100], "payload": event}
            )
            StripeEvent.objects.filter(pk=event_id).update(
                state=StripeEvent.State.FAILED,
                attempts=F("attempts") + 1,
                last_error=traceback.format_exc()[-4000:],  # staff read it in admin; logs get the masked line
            )
        raise


def _apply_event(stored: StripeEvent) -> str:
    event_type = stored.type
    obj = (stored.payload.get("data") or {}).get("object") or {}
    if event_type not in HANDLED_EVENT_TYPES or not isinstance(obj, dict):
        return StripeEvent.State.IGNORED
    if event_type.startswith("checkout.session."):
        order = _find_order_for_session(obj)
        if order is None:
            logger.info("Stripe event %s names an unknown checkout session; ignored", stored.id)
            return StripeEvent.State.IGNORED
        if event_type == "checkout.session.async_payment_failed":
            _store_customer_details(order, obj)
            if order.status == S.PENDING_PAYMENT:
                transition_order(
                    order=order, to_status=S.CANCELLED, stripe_event_id=stored.id, message="The delayed payment failed."
                )
        else:
            apply_checkout_session(order=order, session=obj, stripe_event_id=stored.id, source="webhook")
        return StripeEvent.State.PROCESSED
    # charge.refunded
    payment_intent_id = _id_of(obj.get("payment_intent"))
    order = (
        Order.objects.select_for_update().filter(payment_intent_id=payment_intent_id).first()
        if payment_intent_id
        else None
    )
    if order is None:
        # Delivered before the checkout.session.completed that tells us the payment intent: keep it and apply
        # it when that arrives, so the end state is the same as an in-order delivery.
        stored.payment_intent_id = payment_intent_id
        stored.save(update_fields=["payment_intent_id"])
        return StripeEvent.State.DEFERRED
    apply_charge_refunded(order=order, charge=obj, stripe_event_id=stored.id)
    return StripeEvent.State.PROCESSED


def _apply_deferred_events(order: Order) -> None:
    if not order.payment_intent_id:
        return
    waiting = (
        StripeEvent.objects.select_for_update()
        .filter(state=StripeEvent.State.DEFERRED, payment_intent_id=order.payment_intent_id)
        .order_by("received_at")
    )
    for stored in waiting:
        obj = (stored.payload.get("data") or {}).get("object") or {}
        apply_charge_refunded(order=order, charge=obj, stripe_event_id=stored.id)
        stored.state = StripeEvent.State.PROCESSED
        stored.processed_at = timezone.now()
        stored.save(update_fields=["state", "processed_at"])


# --- reconciliation ------------------------------------------------------------------------------


def reconcile_pending_orders(*, now: datetime | None = None) -> dict[str, int]:
    """Ask Stripe about `pending_payment` orders past their session's expiry, so a webhook lost for
    good neither strands stock nor loses a paid order. Also retries failed Stripe events."""
    now = now or timezone.now()
    counts = {"checked": 0, "paid": 0, "cancelled": 0, "events_retried": 0, "errors": 0}
    stale = Order.objects.filter(status=S.PENDING_PAYMENT, checkout_expires_at__lt=now - RECONCILE_GRACE)
    no_session = Order.objects.filter(
        status=S.PENDING_PAYMENT, checkout_session_id="", created_at__lt=now - CHECKOUT_SESSION_LIFETIME
    )
    for order in (stale | no_session).order_by("pk")[:500]:
        counts["checked"] += 1
        try:
            if order.checkout_session_id:
                client = get_stripe_client()
                session = _as_dict(client.v1.checkout.sessions.retrieve(order.checkout_session_id))
                if session.get("status") == "open":
                    try:
                        session = _as_dict(client.v1.checkout.sessions.expire(order.checkout_session_id))
                    except stripe.InvalidRequestError:
                        # No longer open: the customer finished paying between our two calls. Look again.
                        session = _as_dict(client.v1.checkout.sessions.retrieve(order.checkout_session_id))
                fulfil_checkout_session(session_id=order.checkout_session_id, session=session, source="reconciliation")
            else:
                with transaction.atomic():
                    locked = Order.objects.select_for_update().get(pk=order.pk)
                    if locked.status == S.PENDING_PAYMENT:
                        transition_order(
                            order=locked, to_status=S.CANCELLED, message="No checkout session was ever opened."
                        )
        except stripe.StripeError as exc:
            counts["errors"] += 1
            logger.error("reconciling order %s failed: %s", order.number, loggable(exc))
            continue
        order.refresh_from_db(fields=["status"])
        if order.status == S.PAID:
            counts["paid"] += 1
        elif order.status == S.CANCELLED:
            counts["cancelled"] += 1
    for stored in StripeEvent.objects.filter(state=StripeEvent.State.FAILED).order_by("received_at")[:100]:
        try:
            process_stripe_event(event=stored.payload)
            counts["events_retried"] += 1
        except Exception:
            counts["errors"] += 1
    # A refund deferred while its order's payment was being recorded concurrently (it looked for the payment
    # intent before that commit, the payment looked for deferred refunds before the refund's commit).
    orphaned = StripeEvent.objects.filter(
        state=StripeEvent.State.DEFERRED,
        payment_intent_id__in=Order.objects.exclude(payment_intent_id="").values("payment_intent_id"),
    )
    for stored in orphaned.order_by("received_at")[:100]:
        try:
            process_stripe_event(event=stored.payload)
            counts["events_retried"] += 1
        except Exception:
            counts["errors"] += 1
    return counts
