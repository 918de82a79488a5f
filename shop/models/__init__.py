"""The shop's models, one module per concern; everything is importable from `shop.models`."""

from core.tokens import new_token  # noqa: F401 - the first migrations name shop.models.new_token
from shop.models.carts import Cart, CartLine
from shop.models.catalog import Product, ProductQuerySet
from shop.models.orders import Order, OrderEmail, OrderEvent, OrderLine, OrderQuerySet, Refund

__all__ = [
    "Cart",
    "CartLine",
    "Order",
    "OrderEmail",
    "OrderEvent",
    "OrderLine",
    "OrderQuerySet",
    "Product",
    "ProductQuerySet",
    "Refund",
]
