"""Checkout: a cart becomes a `pending_payment` order (units reserved atomically) and a Stripe
Checkout Session (hosted page, inline prices from our catalog, an idempotency key).

The session is where Stripe computes what we do not (issue 12): the shipping options of the country chosen
(shop.shipping), the promotion code the customer types (`allow_promotion_codes`), and sales tax when
STRIPE_AUTOMATIC_TAX is on (prices and shipping are sent tax-exclusive, each product with its tax code). It
also asks for promotional consent and keeps a recovery link for when it expires (shop.recovery)."""

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from core.email_addresses import validate_email_address
from core.redaction import loggable, mask_email
from payments.client import as_dict, get_stripe_client
from payments.money import is_payable_amount, to_minor_units
from shop.alerts import check_low_stock_after_commit
from shop.history import record_order_event
from shop.limits import check_reservation_caps, take_checkout_slot
from shop.models import Cart, CartLine, Order, OrderLine, Product
from shop.orders import CheckoutError, transition_order
from shop.shipping import (
    checkout_country,
    offered_rates,
    offered_snapshot,
    remember_stripe_rates,
    shipping_options_param,
)
from shop.stock import take_units

logger = logging.getLogger(__name__)
CHECKOUT_SESSION_LIFETIME = timedelta(minutes=31)  # Stripe's minimum is 30 minutes from the moment it gets the call
ORDER_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
ORDER_NUMBER_TRIES = 5


@dataclass(frozen=True)
class CheckoutResult:
    order: Order
    checkout_url: str
    session_id: str


def _new_order_number() -> str:
    return "HH-" + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(7))


def _remember_lines(order: Order, lines: list[OrderLine]) -> None:
    """Keep the order's new lines (their products attached) as if prefetched: the Checkout Session's line items
    read them from memory, not from the rows just written."""
    queryset = order.lines.all()
    queryset._result_cache, queryset._prefetch_done = lines, True
    order._prefetched_objects_cache = {"lines": queryset}


def _check_lines(lines: list[CartLine], products: dict[int, Product]) -> str:
    """Refuse (CheckoutError) what cannot be sold as it stands; the cart's one currency."""
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
    return currencies.pop()


@transaction.atomic
def reserve_cart(*, cart: Cart, email: str, client: str = "", country: str | None = None) -> Order:
    """Turn an open cart into a `pending_payment` order, taking its units from stock; all or nothing.
    `client` (a `shop.limits.client_hash`) is kept on the order so its holds count against that client;
    `country` (one of SHOP_SHIPPING_COUNTRIES, default the first) decides the shipping rates it is offered.
    Raises IntegrityError, having changed nothing, in the rare case that its random order number was taken."""
    country = checkout_country(country)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    if not cart.is_open:
        raise CheckoutError("cart_checked_out", "This cart has already been checked out; start a new one.", 409)
    # The lines and their products in one query, the products locked in pk order so two carts never deadlock (the
    # lock is taken as the sorted rows come out); a product waited for is read as the other checkout left it.
    by_product = CartLine.objects.filter(cart=cart).select_related("product").order_by("product_id")
    lines = sorted(by_product.select_for_update(of=("product",)), key=lambda line: line.pk)
    if not lines:
        raise CheckoutError("empty_cart", "Your cart is empty: add a product before checking out.")
    products = {line.product_id: line.product for line in lines}
    currency = _check_lines(lines, products)
    wanted = {line.product_id: line.quantity for line in lines}
    check_reservation_caps(wanted=wanted, products=products, client=client, email=email)
    take_units(quantities=wanted)
    check_low_stock_after_commit(product_ids=wanted)  # staff hear of a product that fell to its threshold
    subtotal = sum((products[line.product_id].price * line.quantity for line in lines), Decimal("0.00"))
    # No savepoint around the INSERT: a taken number (7 characters of 32) fails the whole reservation, which
    # start_checkout runs again with a new number.
    order = Order.objects.create(
        number=_new_order_number(),
        email=email,
        currency=currency,
        subtotal=subtotal,
        total=subtotal,  # until Stripe settles shipping, discount and tax
        client_hash=client,
        shipping_country=country,
        shipping_options=offered_snapshot(offered_rates(country=country, currency=currency, subtotal=subtotal)),
    )
    order_lines = OrderLine.objects.bulk_create(
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
    _remember_lines(order, order_lines)
    units = sum(line.quantity for line in lines)
    record_order_event(
        order=order, kind="created", to_status=order.status, message=f"Order placed; {units} unit(s) reserved."
    )
    cart.checked_out_at = timezone.now()
    cart.order = order
    cart.save(update_fields=["checked_out_at", "order", "updated_at"])
    return order


def _reserve_with_a_free_number(**kwargs) -> Order:
    for _ in range(ORDER_NUMBER_TRIES - 1):
        try:
            return reserve_cart(**kwargs)
        except IntegrityError:
            continue
    return reserve_cart(**kwargs)


def _line_items(order: Order) -> list[dict]:
    # In pk order with their products: read in one query, or kept from the reservation (_remember_lines).
    prefetch_related_objects([order], Prefetch("lines", OrderLine.objects.select_related("product").order_by("pk")))
    return [
        {
            "price_data": {
                "currency": order.currency.lower(),
                "unit_amount": to_minor_units(line.unit_price, order.currency),
                "tax_behavior": "exclusive",  # tax is added on top of our prices, never taken out of them
                "product_data": {"name": line.product_name, "tax_code": line.product.tax_code},
            },
            "quantity": line.quantity,
        }
        for line in order.lines.all()
    ]


def create_checkout_session(*, order: Order, success_url: str | None = None, cancel_url: str | None = None):
    # From the order, not the clock or the catalog: a retry under the same idempotency key must send the same
    # parameters, or Stripe refuses it (idempotency_error) instead of answering the session it already made.
    expires_at = order.created_at.replace(microsecond=0) + CHECKOUT_SESSION_LIFETIME
    params = {
        "mode": "payment",
        "line_items": _line_items(order),
        "client_reference_id": order.number,
        "customer_email": order.email,
        "success_url": success_url or f"{settings.SITE_URL}/checkout/success/?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": cancel_url or f"{settings.SITE_URL}/checkout/cancel/?order={order.token}",
        "expires_at": int(expires_at.timestamp()),
        "shipping_address_collection": {"allowed_countries": [order.shipping_country or checkout_country(None)]},
        "allow_promotion_codes": True,
        # Stripe keeps a link that reopens an expired session (shop.recovery mails it to those who agreed).
        "after_expiration": {"recovery": {"enabled": True, "allow_promotion_codes": True}},
        "consent_collection": {"promotions": "auto"},
        "metadata": {"order_number": order.number},
    }
    if order.shipping_options:
        params["shipping_options"] = shipping_options_param(order)
    if settings.STRIPE_AUTOMATIC_TAX:
        params["automatic_tax"] = {"enabled": True}
    return get_stripe_client().v1.checkout.sessions.create(
        params=params, options={"idempotency_key": order.idempotency_key("checkout-session")}
    )


def start_checkout(
    *,
    cart: Cart,
    email: str,
    client: str = "",
    country: str | None = None,
    success_url: str | None = None,
    cancel_url: str | None = None,
) -> CheckoutResult:
    """Reserve the cart's units in a new order, then open a Stripe Checkout Session for it.

    `client` is the `shop.limits.client_hash` of the request (the page and the API pass it): checkouts are
    limited per client and per email, and so are the units they hold unpaid (issue 10).
    `country` is where it ships (default: the first of SHOP_SHIPPING_COUNTRIES).
    Raises CheckoutError (empty_cart, out_of_stock, product_unavailable, invalid_email, unsupported_country,
    cart_checked_out, too_many_checkouts, too_many_reserved, payment_unavailable). If Stripe cannot be reached the order is
    cancelled, its stock released and the cart reopened, so the customer can simply try again.
    """
    email = (email or "").strip()
    try:
        validate_email_address(email)
    except ValidationError:
        raise CheckoutError("invalid_email", "Enter a valid email address, like name@example.com.") from None
    country = checkout_country(country)
    take_checkout_slot(client=client, email=email)
    order = _reserve_with_a_free_number(cart=cart, email=email, client=client, country=country)
    # Stripe is called outside the reservation's transaction: a slow Stripe never holds product locks.
    try:
        session = create_checkout_session(order=order, success_url=success_url, cancel_url=cancel_url)
    except stripe.StripeError as exc:
        logger.error("creating a checkout session for %s failed: %s", order.number, loggable(exc))
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            transition_order(
                order=locked, to_status=Order.Status.CANCELLED, message="Stripe could not open a checkout session."
            )
            Cart.objects.filter(pk=cart.pk).update(checked_out_at=None, order=None)
        raise CheckoutError(
            "payment_unavailable", "Payment is unavailable right now; nothing was charged. Try again shortly.", 503
        ) from None
    order.checkout_session_id = session.id
    order.checkout_url = session.url or ""
    order.checkout_expires_at = datetime.fromtimestamp(session.expires_at, tz=UTC) if session.expires_at else None
    remember_stripe_rates(order, as_dict(session).get("shipping_options"))
    order.save(
        update_fields=["checkout_session_id", "checkout_url", "checkout_expires_at", "shipping_options", "updated_at"]
    )
    logger.info("order %s opened checkout session for %s", order.number, mask_email(email))
    return CheckoutResult(order=order, checkout_url=order.checkout_url, session_id=session.id)
