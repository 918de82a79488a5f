"""Issue 15: a product remembers when staff were told it runs low (one alert per crossing), a beat task checks
every product every ten minutes as a safety net, and orders are indexed by when they were paid and placed for
the admin dashboard's last 30 days, and those still to ship by when they were paid."""

from django.db import migrations, models

TASK_NAME = "shop: alert staff to products low on stock"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_minutes = IntervalSchedule.objects.filter(every=10, period="minutes").first()
    if every_ten_minutes is None:
        every_ten_minutes = IntervalSchedule.objects.create(every=10, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "shop.check_low_stock",
            "interval": every_ten_minutes,
            "enabled": True,
            "description": (
                "Mails STAFF_ALERT_EMAILS once for each product that fell to its low-stock threshold and clears the "
                "mark of those back above it: catches what the check after each checkout missed (an admin edit, "
                "a return restocked, a mail server that was down)."
            ),
            "expire_seconds": 540,  # a run nobody picked up is superseded by the next one
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0013_checkout_recoveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="low_stock_alerted_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text=(
                    "When staff were mailed that stock fell to the threshold; cleared once it is back above "
                    "(shop.alerts)."
                ),
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("paid_at__isnull", False)), fields=["paid_at"], name="shop_order_paid_at"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["created_at"], name="shop_order_created_at"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(condition=models.Q(("status", "paid")), fields=["paid_at"], name="shop_order_to_ship"),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
