"""Memberships' periodic task: re-sync subscriptions with Stripe every fifteen minutes (django-celery-beat)."""

from django.db import migrations

TASK_NAME = "billing: re-sync memberships with Stripe"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_fifteen_minutes = IntervalSchedule.objects.filter(every=15, period="minutes").first()
    if every_fifteen_minutes is None:
        every_fifteen_minutes = IntervalSchedule.objects.create(every=15, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "billing.reconcile_subscriptions",
            "interval": every_fifteen_minutes,
            "enabled": True,
            "description": (
                "Re-syncs from Stripe's copy the memberships not synced for a day or named by a failed Stripe "
                "event (a webhook lost for good must not leave a member with access they stopped paying for, "
                "or without the access they pay for), settles checkouts nobody returned from, and sends the "
                "membership emails neither the mail server nor the broker took."
            ),
            "expire_seconds": 600,  # a run nobody picked up is superseded by the next one
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_plans_customers_subscriptions_invoices_and_emails"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
