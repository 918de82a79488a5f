"""Carts: anonymous and server-side. Prices always come from the catalog, never from the client.

A browser cart is tied to the Django session (`get_cart_for_session`); an API cart is
identified by its unguessable token (`get_open_cart` / `get_cart_by_token`).
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from core.errors import Refusal
from shop.models import Cart, CartLine, Product

SESSION_KEY = "shop_cart_id"


class CartError(Refusal):
    """A cart change refused (out of stock, a bad quantity, a product no longer for sale)."""


def create_cart() -> Cart:
    return Cart.objects.create()


def carts_with_lines():
    """Carts with their lines and products in two extra queries, however many lines."""
    return Cart.objects.prefetch_related(
        Prefetch("lines", queryset=CartLine.objects.select_related("product").order_by("pk"))
    )


def get_cart_by_token(token: str) -> Cart:
    """The cart with this token (open or checked out), lines prefetched; `Cart.DoesNotExist` otherwise."""
    return carts_with_lines().get(token=token)


def get_cart_for_session(request, create: bool = False) -> Cart | None:
    """The browser's open cart, found through the session; a new one when `create` and none is open."""
    cart_id = request.session.get(SESSION_KEY)
    cart = None
    if cart_id:
        cart = carts_with_lines().filter(pk=cart_id, checked_out_at__isnull=True).first()
    if cart is None and create:
        cart = create_cart()
        request.session[SESSION_KEY] = cart.pk
    return cart


def forget_session_cart(request) -> None:
    request.session.pop(SESSION_KEY, None)


def cart_total(cart: Cart) -> Decimal:
    return sum((line.line_total for line in cart.lines.all()), Decimal("0.00"))


def cart_currency(cart: Cart) -> str | None:
    lines = list(cart.lines.all())
    return lines[0].product.currency if lines else None


def cart_item_count(cart: Cart) -> int:
    return sum(line.quantity for line in cart.lines.all())


def _check_quantity(quantity, product: Product) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise CartError("invalid_quantity", "The quantity must be a whole number.")
    if quantity < 1:
        raise CartError("invalid_quantity", "The quantity must be at least 1.")
    if quantity > CartLine.MAX_QUANTITY:
        raise CartError(
            "quantity_limit", f"You can buy at most {CartLine.MAX_QUANTITY} of one product in a single order."
        )
    if quantity > product.stock:
        if product.stock == 0:
            raise CartError("out_of_stock", f"{product.name} is out of stock.", status_code=409)
        raise CartError("out_of_stock", f"Only {product.stock} of {product.name} left in stock.", status_code=409)
    return quantity


def _check_open(cart: Cart) -> None:
    if not cart.is_open:
        raise CartError("cart_checked_out", "This cart has already been checked out; start a new one.", 409)


def _check_sellable(product: Product) -> None:
    if not product.is_active:
        raise CartError("product_unavailable", f"{product.name} is no longer for sale.", status_code=409)


@transaction.atomic
def add_to_cart(*, cart: Cart, product: Product, quantity: int) -> CartLine:
    """Add `quantity` units (to the existing line for that product, if any); raises CartError."""
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
    _check_open(cart)
    _check_sellable(product)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        _check_quantity(quantity, product)  # raises the precise error
    lines = list(CartLine.objects.filter(cart=cart).select_related("product"))
    if any(other.product.currency != product.currency for other in lines):
        # A cart's total is one amount in one currency, as is the order and the Stripe session it becomes.
        raise CartError(
            "mixed_currencies",
            f"{product.name} is priced in {product.currency}; this cart holds products priced in "
            f"{lines[0].product.currency}. Check out separately.",
            status_code=409,
        )
    line = next((other for other in lines if other.product_id == product.pk), None)
    new_quantity = _check_quantity((line.quantity if line else 0) + quantity, product)
    if line:
        line.quantity = new_quantity
        line.save(update_fields=["quantity"])
    else:
        line = CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def set_line_quantity(*, line: CartLine, quantity: int) -> CartLine:
    """Replace a line's quantity (1 … limit, within stock); raises CartError. Use `remove_line` to drop it."""
    cart = Cart.objects.select_for_update().get(pk=line.cart_id)
    _check_open(cart)
    product = Product.objects.get(pk=line.product_id)
    _check_sellable(product)
    line.quantity = _check_quantity(quantity, product)
    line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def remove_line(*, line: CartLine) -> None:
    cart = Cart.objects.select_for_update().get(pk=line.cart_id)
    _check_open(cart)
    line.delete()
    cart.save(update_fields=["updated_at"])


def delete_stale_carts(*, now: datetime | None = None, open_days: int = 30, checked_out_days: int = 90) -> int:
    """Forget carts nobody touched for `open_days`, and spent carts after `checked_out_days`
    (their orders keep their own copy of the lines). Returns how many carts went."""
    now = now or timezone.now()
    stale = Cart.objects.filter(
        Q(checked_out_at__isnull=True, updated_at__lt=now - timedelta(days=open_days))
        | Q(checked_out_at__lt=now - timedelta(days=checked_out_days))
    )
    _, per_model = stale.delete()
    return per_model.get(Cart._meta.label, 0)
