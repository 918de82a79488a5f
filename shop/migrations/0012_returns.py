"""Returns received by staff: returned units per line, restocked or not, refunded and emailed once (issue 12)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0011_backfill_order_subtotals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderReturn",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "shop_at_fault",
                    models.BooleanField(
                        default=False,
                        help_text="We sent the wrong item, or it arrived damaged or faulty: the shipping is refunded.",
                    ),
                ),
                (
                    "refund_amount",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        help_text="What was refunded for it, in all.",
                        max_digits=12,
                    ),
                ),
                (
                    "shipping_refund",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        help_text="The part of it that is the shipping.",
                        max_digits=12,
                    ),
                ),
                ("note", models.TextField(blank=True, help_text="Only staff see it.")),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ReturnLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("quantity", models.PositiveIntegerField(validators=[django.core.validators.MinValueValidator(1)])),
                (
                    "restocked",
                    models.PositiveIntegerField(default=0, help_text="Units put back on sale (not the damaged ones)."),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("refund_order", "Can refund orders through Stripe"),
                    ("receive_return", "Can receive returns: restock units and refund them through Stripe"),
                ],
            },
        ),
        migrations.AddField(
            model_name="orderline",
            name="returned_quantity",
            field=models.PositiveIntegerField(
                default=0, help_text="Units the customer sent back and staff received (shop.returns)."
            ),
        ),
        migrations.AlterField(
            model_name="orderemail",
            name="kind",
            field=models.CharField(help_text="confirmation, shipped, refund, return", max_length=32),
        ),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.CheckConstraint(
                condition=models.Q(("returned_quantity__lte", models.F("quantity"))),
                name="shop_orderline_returned_at_most_bought",
            ),
        ),
        migrations.AddField(
            model_name="orderreturn",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="orderreturn",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="returns", to="shop.order"
            ),
        ),
        migrations.AddField(
            model_name="orderreturn",
            name="refund",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="order_return",
                to="shop.refund",
            ),
        ),
        migrations.AddField(
            model_name="orderemail",
            name="order_return",
            field=models.OneToOneField(
                blank=True,
                help_text="The return a return email tells of: one email per return.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="email",
                to="shop.orderreturn",
            ),
        ),
        migrations.AddConstraint(
            model_name="orderemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "return"), ("order_return__isnull", False)),
                    models.Q(models.Q(("kind", "return"), _negated=True), ("order_return__isnull", True)),
                    _connector="OR",
                ),
                name="shop_email_return_names_its_return",
            ),
        ),
        migrations.AddField(
            model_name="returnline",
            name="order_line",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="return_lines", to="shop.orderline"
            ),
        ),
        migrations.AddField(
            model_name="returnline",
            name="order_return",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="shop.orderreturn"
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gte", 1)), name="shop_returnline_quantity_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="returnline",
            constraint=models.CheckConstraint(
                condition=models.Q(("restocked__lte", models.F("quantity"))), name="shop_returnline_restock_returned"
            ),
        ),
    ]
