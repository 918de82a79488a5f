"""The order's money as Stripe settled it: subtotal, discount, shipping, tax, the code typed, the rate chosen (issue 12)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0009_shipping_rates_promotion_codes_and_product_tax_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="discount_total",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="Taken off the products by the promotion code.",
                max_digits=12,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="promotion_code",
            field=models.CharField(blank=True, help_text="The code the customer typed.", max_length=500),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_country",
            field=models.CharField(blank=True, help_text="Where the customer chose to ship.", max_length=2),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_delivery_estimate",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_options",
            field=models.JSONField(
                blank=True, default=list, help_text="The rates the Checkout Session offered, as they were then."
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_rate_amount",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_rate_name",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_tax",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="The part of the tax charged on the shipping.",
                max_digits=12,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0.00"), help_text="The shipping charged, before tax.", max_digits=12
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="subtotal",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="The products, at the prices of our snapshot.",
                max_digits=12,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="tax_total",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0.00"),
                help_text="Sales tax or VAT, on the products and on the shipping.",
                max_digits=12,
            ),
        ),
        migrations.AlterField(
            model_name="order",
            name="total",
            field=models.DecimalField(decimal_places=2, help_text="What the customer paid.", max_digits=12),
        ),
        migrations.AddField(
            model_name="order",
            name="promotion",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="orders",
                to="shop.promotioncode",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="shipping_rate",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="orders",
                to="shop.shippingrate",
            ),
        ),
    ]
