"""The shop's models, one module per concern; everything is importable from `shop.models`."""

from core.tokens import new_token  # noqa: F401 - the first migrations name shop.models.new_token
from shop.models.carts import Cart, CartLine
from shop.models.catalog import Product, ProductQuerySet
from shop.models.orders import Order, OrderEmail, OrderEvent, OrderLine, OrderQuerySet, Refund
from shop.models.pricing import PromotionCode, ShippingRate, ShippingRateQuerySet
from shop.models.recovery import CheckoutRecovery
from shop.models.returns import OrderReturn, ReturnLine

__all__ = [
    "Cart",
    "CartLine",
    "CheckoutRecovery",
    "Order",
    "OrderEmail",
    "OrderEvent",
    "OrderLine",
    "OrderQuerySet",
    "OrderReturn",
    "Product",
    "ProductQuerySet",
    "PromotionCode",
    "Refund",
    "ReturnLine",
    "ShippingRate",
    "ShippingRateQuerySet",
]
