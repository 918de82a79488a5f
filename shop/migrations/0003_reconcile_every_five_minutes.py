"""The shop's periodic task: reconcile stale pending orders with Stripe every five minutes (django-celery-beat)."""

from django.db import migrations

TASK_NAME = "shop: reconcile pending orders with Stripe"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes = IntervalSchedule.objects.filter(every=5, period="minutes").first()
    if every_five_minutes is None:
        every_five_minutes = IntervalSchedule.objects.create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "shop.reconcile_pending_orders",
            "interval": every_five_minutes,
            "enabled": True,
            "description": (
                "Asks Stripe about pending_payment orders past their session's expiry (a webhook lost for "
                "good must neither strand stock nor lose a paid order) and retries failed Stripe events."
            ),
            "expire_seconds": 240,  # a run nobody picked up is superseded by the next one
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0002_carts_events_refunds_and_order_payment_fields"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
