"""The catalog: products for sale, each with the Stripe tax code Stripe Tax charges it under."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from payments.money import is_payable_amount

GENERAL_GOODS_TAX_CODE = "txcd_99999999"  # Stripe's "General - Tangible Goods"
TAX_CODE_VALIDATOR = RegexValidator(r"^txcd_\d{8}$", "A Stripe tax code looks like txcd_99999999.")


class ProductQuerySet(models.QuerySet):
    def on_sale(self) -> "ProductQuerySet":
        """What customers may see and buy."""
        return self.filter(is_active=True)


class Product(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    sku = models.CharField("SKU", max_length=64, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, default="USD")
    stock = models.PositiveIntegerField(default=0, help_text="Units on hand and not reserved by an order.")
    reserved = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Units held by unpaid orders: taken from stock, not sold yet (shop.stock keeps it, under the row lock).",
    )
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveIntegerField(default=0, help_text="Display order: lower comes first.")
    image_url = models.CharField(
        "image", max_length=500, blank=True, help_text="A static path (`img/foosfoot.svg`) or an absolute https URL."
    )
    image_alt = models.CharField(
        "image alt text", max_length=300, blank=True, help_text="What the image shows, for people who cannot see it."
    )
    low_stock_threshold = models.PositiveIntegerField(
        default=5, help_text="Staff see a low-stock warning at or below this many units."
    )
    low_stock_alerted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "When staff were mailed that stock fell to the threshold; cleared once it is back above (shop.alerts)."
        ),
    )
    tax_code = models.CharField(
        "Stripe tax code",
        max_length=20,
        default=GENERAL_GOODS_TAX_CODE,
        validators=[TAX_CODE_VALIDATOR],
        help_text="What Stripe Tax taxes it as: txcd_99999999 is general tangible goods (Stripe's list of tax codes).",
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/shop/{self.slug}/"

    def clean(self) -> None:
        super().clean()
        if self.price is not None and self.currency and not is_payable_amount(self.price, self.currency):
            raise ValidationError({"price": f"{self.currency} prices have no fractions of this size."})

    @property
    def is_low_on_stock(self) -> bool:
        return self.stock <= self.low_stock_threshold
