"""One recovery email per expired Checkout Session whose customer agreed to promotional mail (issue 12)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0012_returns"),
    ]

    operations = [
        migrations.CreateModel(
            name="CheckoutRecovery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "session_id",
                    models.CharField(help_text="The expired Checkout Session.", max_length=255, unique=True),
                ),
                ("email", models.EmailField(max_length=254)),
                (
                    "recovery_url",
                    models.URLField(help_text="Stripe's link that opens a copy of the session.", max_length=2000),
                ),
                ("recovery_expires_at", models.DateTimeField(blank=True, null=True)),
                ("session_created_at", models.DateTimeField(help_text="When the expired session was made.")),
                ("due_at", models.DateTimeField()),
                (
                    "status",
                    models.CharField(
                        choices=[("pending", "Waiting to be sent"), ("sent", "Sent"), ("skipped", "Not sent")],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("skipped_reason", models.CharField(blank=True, max_length=200)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name_plural": "checkout recoveries",
                "ordering": ["due_at", "pk"],
            },
        ),
        migrations.AddField(
            model_name="order",
            name="recovery_session_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="The session Stripe recovered from this order's expired one, when that one paid it.",
                max_length=255,
            ),
        ),
        migrations.AddField(
            model_name="checkoutrecovery",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="recoveries", to="shop.order"
            ),
        ),
        migrations.AddIndex(
            model_name="checkoutrecovery",
            index=models.Index(condition=models.Q(("status", "pending")), fields=["due_at"], name="shop_recovery_due"),
        ),
    ]
