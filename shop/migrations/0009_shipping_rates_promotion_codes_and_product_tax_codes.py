"""Shipping rates and promotion codes managed in the admin; a Stripe tax code on each product (issue 12)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0008_order_email_names_its_refund"),
    ]

    operations = [
        migrations.CreateModel(
            name="PromotionCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.CharField(
                        help_text="What the customer types; letters and digits, case does not matter.",
                        max_length=40,
                        validators=[
                            django.core.validators.RegexValidator(
                                "^[A-Za-z0-9]{3,40}$", "3 to 40 letters and digits (Stripe's rule)."
                            )
                        ],
                    ),
                ),
                (
                    "percent_off",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Percent off the products (never the shipping); or a fixed amount below.",
                        max_digits=5,
                        null=True,
                        validators=[
                            django.core.validators.MinValueValidator(Decimal("0.01")),
                            django.core.validators.MaxValueValidator(Decimal("100")),
                        ],
                    ),
                ),
                (
                    "amount_off",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="A fixed amount off the products, in the currency below.",
                        max_digits=10,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
                    ),
                ),
                (
                    "currency",
                    models.CharField(default="USD", help_text="The currency of a fixed amount off.", max_length=3),
                ),
                (
                    "first_order_only",
                    models.BooleanField(
                        default=False,
                        help_text="Only for customers who have not paid before (Stripe checks).",
                        verbose_name="first order only",
                    ),
                ),
                (
                    "max_redemptions",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Empty: as often as customers like.",
                        null=True,
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(blank=True, help_text="Empty: never.", null=True, verbose_name="expires at"),
                ),
                (
                    "is_active",
                    models.BooleanField(
                        default=True, help_text="Off: customers can no longer use it.", verbose_name="active"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("stripe_coupon_id", models.CharField(blank=True, editable=False, max_length=255)),
                (
                    "stripe_promotion_code_id",
                    models.CharField(blank=True, db_index=True, editable=False, max_length=255),
                ),
                (
                    "stripe_active",
                    models.BooleanField(editable=False, help_text="Whether Stripe's copy is active.", null=True),
                ),
                ("active_changes", models.PositiveIntegerField(default=0, editable=False)),
                ("synced_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("sync_error", models.TextField(blank=True, editable=False)),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ShippingRate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="What the customer reads on the payment page: “Standard”.", max_length=100
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=10,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                    ),
                ),
                ("currency", models.CharField(default="USD", max_length=3)),
                (
                    "countries",
                    models.CharField(
                        help_text="The ISO codes of the countries it serves, separated by commas: US, CA, DE.",
                        max_length=400,
                    ),
                ),
                (
                    "free_above",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        help_text="Offered at 0 when the products add up to more than this (before any discount: the code is typed on Stripe's page, after the options are set). Empty: never free.",
                        max_digits=10,
                        null=True,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
                        verbose_name="free when the subtotal is over",
                    ),
                ),
                (
                    "delivery_min_days",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="delivery from (business days)"
                    ),
                ),
                (
                    "delivery_max_days",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="delivery up to (business days)"
                    ),
                ),
                (
                    "taxable",
                    models.BooleanField(
                        default=True,
                        help_text="Sales tax applies to the charge where the destination taxes shipping (txcd_92010001); off: never taxed (txcd_00000000).",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "position",
                    models.PositiveIntegerField(default=0, help_text="Order on the payment page: lower comes first."),
                ),
            ],
            options={
                "ordering": ["position", "pk"],
            },
        ),
        migrations.AddField(
            model_name="product",
            name="tax_code",
            field=models.CharField(
                default="txcd_99999999",
                help_text="What Stripe Tax taxes it as: txcd_99999999 is general tangible goods (Stripe's list of tax codes).",
                max_length=20,
                validators=[
                    django.core.validators.RegexValidator(
                        "^txcd_\\d{8}$", "A Stripe tax code looks like txcd_99999999."
                    )
                ],
                verbose_name="Stripe tax code",
            ),
        ),
        migrations.AddConstraint(
            model_name="promotioncode",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Upper("code"), name="shop_promotioncode_unique_code"
            ),
        ),
        migrations.AddConstraint(
            model_name="promotioncode",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("amount_off__isnull", True), ("percent_off__isnull", False)),
                    models.Q(("amount_off__isnull", False), ("percent_off__isnull", True)),
                    _connector="OR",
                ),
                name="shop_promotioncode_percent_or_amount",
            ),
        ),
        migrations.AddConstraint(
            model_name="shippingrate",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gte", 0)), name="shop_shippingrate_amount_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="shippingrate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("delivery_min_days__isnull", True),
                    ("delivery_max_days__isnull", True),
                    ("delivery_min_days__lte", models.F("delivery_max_days")),
                    _connector="OR",
                ),
                name="shop_shippingrate_delivery_min_not_above_max",
            ),
        ),
    ]
