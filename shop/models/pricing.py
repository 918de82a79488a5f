"""What checkout offers besides the products: shipping rates per country and promotion codes.

Both are ours to manage in the admin and Stripe's to compute with: the rates go to each Checkout
Session as inline `shipping_rate_data`, the codes are made on Stripe as a coupon and a promotion code
(shop.promotions) that the customer types on Stripe's page.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from payments.money import is_payable_amount

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
SHIPPING_TAX_CODE = "txcd_92010001"  # Stripe's "Shipping": taxed where the destination taxes shipping
NON_TAXABLE_TAX_CODE = "txcd_00000000"  # Stripe's "Nontaxable"


def country_codes(text: str) -> list[str]:
    """ "us, ca ,DE" → ["US", "CA", "DE"] (order kept, duplicates dropped)."""
    codes = [part.strip().upper() for part in re.split(r"[\s,;]+", text or "") if part.strip()]
    return list(dict.fromkeys(codes))


def delivery_estimate(minimum: int | None, maximum: int | None) -> str:
    """ "3–5 business days", "1 business day", "up to 4 business days", or "" when unknown."""
    if minimum and maximum and minimum != maximum:
        return f"{minimum}–{maximum} business days"
    days = minimum or maximum
    if not days:
        return ""
    words = "1 business day" if days == 1 else f"{days} business days"
    return f"up to {words}" if maximum and not minimum else words


class ShippingRateQuerySet(models.QuerySet):
    def active(self) -> "ShippingRateQuerySet":
        return self.filter(is_active=True)


class ShippingRate(models.Model):
    """A shipping service to some countries at a fixed price, offered at checkout to the country chosen."""

    name = models.CharField(max_length=100, help_text="What the customer reads on the payment page: “Standard”.")
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    currency = models.CharField(max_length=3, default="USD")
    countries = models.CharField(
        max_length=400, help_text="The ISO codes of the countries it serves, separated by commas: US, CA, DE."
    )
    free_above = models.DecimalField(
        "free when the subtotal is over",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Offered at 0 when the products add up to more than this (before any discount: the code is "
        "typed on Stripe's page, after the options are set). Empty: never free.",
    )
    delivery_min_days = models.PositiveSmallIntegerField("delivery from (business days)", null=True, blank=True)
    delivery_max_days = models.PositiveSmallIntegerField("delivery up to (business days)", null=True, blank=True)
    taxable = models.BooleanField(
        default=True,
        help_text=f"Sales tax applies to the charge where the destination taxes shipping ({SHIPPING_TAX_CODE}); "
        f"off: never taxed ({NON_TAXABLE_TAX_CODE}).",
    )
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveIntegerField(default=0, help_text="Order on the payment page: lower comes first.")

    objects = ShippingRateQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="shop_shippingrate_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(delivery_min_days__isnull=True)
                | Q(delivery_max_days__isnull=True)
                | Q(delivery_min_days__lte=models.F("delivery_max_days")),
                name="shop_shippingrate_delivery_min_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.countries})"

    def save(self, *args, **kwargs):
        self.countries = ", ".join(country_codes(self.countries))
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        codes = country_codes(self.countries)
        wrong = [code for code in codes if not COUNTRY_CODE.match(code)]
        if not codes or wrong:
            errors["countries"] = "Two-letter ISO codes separated by commas, like US, CA, DE" + (
                f" (not {', '.join(wrong)})." if wrong else "."
            )
        for field in ("amount", "free_above"):
            value = getattr(self, field)
            if value is not None and self.currency and not is_payable_amount(value, self.currency):
                errors[field] = f"{self.currency.upper()} amounts have no fractions of this size."
        low, high = self.delivery_min_days, self.delivery_max_days
        if low is not None and high is not None and low > high:
            errors["delivery_max_days"] = "The longest delivery cannot be shorter than the shortest."
        if errors:
            raise ValidationError(errors)

    @property
    def country_list(self) -> list[str]:
        return country_codes(self.countries)

    @property
    def tax_code(self) -> str:
        return SHIPPING_TAX_CODE if self.taxable else NON_TAXABLE_TAX_CODE

    @property
    def delivery_estimate(self) -> str:
        return delivery_estimate(self.delivery_min_days, self.delivery_max_days)

    def amount_for(self, subtotal: Decimal | None) -> Decimal:
        """What checkout charges for it on an order of `subtotal` (None: unknown, the full amount)."""
        if self.free_above is not None and subtotal is not None and subtotal > self.free_above:
            return Decimal("0.00")
        return self.amount


class PromotionCode(models.Model):
    """A code customers type on Stripe's payment page, made on Stripe as a coupon and a promotion code.

    Stripe never changes a coupon or a promotion code's terms after they are made (only a promotion code's
    `active`), so once a code is on Stripe only its active flag can change here (shop.promotions)."""

    code = models.CharField(
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9]{3,40}$", "3 to 40 letters and digits (Stripe's rule).")],
        help_text="What the customer types; letters and digits, case does not matter.",
    )
    percent_off = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text="Percent off the products (never the shipping); or a fixed amount below.",
    )
    amount_off = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="A fixed amount off the products, in the currency below.",
    )
    currency = models.CharField(max_length=3, default="USD", help_text="The currency of a fixed amount off.")
    first_order_only = models.BooleanField(
        "first order only", default=False, help_text="Only for customers who have not paid before (Stripe checks)."
    )
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: as often as customers like."
    )
    expires_at = models.DateTimeField("expires at", null=True, blank=True, help_text="Empty: never.")
    is_active = models.BooleanField("active", default=True, help_text="Off: customers can no longer use it.")
    created_at = models.DateTimeField(auto_now_add=True)
    stripe_coupon_id = models.CharField(max_length=255, blank=True, editable=False)
    stripe_promotion_code_id = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    stripe_active = models.BooleanField(null=True, editable=False, help_text="Whether Stripe's copy is active.")
    active_changes = models.PositiveIntegerField(default=0, editable=False)
    synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    sync_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="shop_promotioncode_unique_code"),
            models.CheckConstraint(
                condition=Q(percent_off__isnull=False, amount_off__isnull=True)
                | Q(percent_off__isnull=True, amount_off__isnull=False),
                name="shop_promotioncode_percent_or_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.currency = (self.currency or "").upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValidationError("Give either a percent off or an amount off, not both.")
        if self.amount_off is not None and not is_payable_amount(self.amount_off, self.currency or "USD"):
            raise ValidationError({"amount_off": f"{self.currency} amounts have no fractions of this size."})
        if self.code and (
            PromotionCode.objects.filter(code__iexact=self.code).exclude(pk=self.pk).exists()  # before the constraint
        ):
            raise ValidationError({"code": "Another promotion has this code (codes ignore case)."})

    @property
    def on_stripe(self) -> bool:
        return bool(self.stripe_promotion_code_id)

    @property
    def discount_label(self) -> str:
        """ "10% off" or "5.00 USD off"."""
        if self.percent_off is not None:
            return f"{self.percent_off.normalize():f}% off"
        return f"{self.amount_off} {self.currency} off"
