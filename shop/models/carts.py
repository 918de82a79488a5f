"""Carts: anonymous and server-side, a browser's through its session, an API client's by token."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.tokens import new_token
from shop.models.catalog import Product
from shop.models.orders import Order


class Cart(models.Model):
    """An anonymous, server-side cart. The browser keeps its id in the session; API clients keep the token."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    order = models.OneToOneField(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="cart")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Cart {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.checked_out_at is None


class CartLine(models.Model):
    MAX_QUANTITY = 10  # per line: enough for a household, not for a reseller

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["cart", "product"], name="shop_cartline_one_per_product")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def unit_price(self) -> Decimal:
        return self.product.price  # always the catalog's price, never the client's

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity
