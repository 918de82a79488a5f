"""A daily task that forgets abandoned carts (django-celery-beat)."""

from django.db import migrations

TASK_NAME = "shop: delete stale carts"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly = CrontabSchedule.objects.filter(
        minute="17", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    ).first()
    if nightly is None:
        nightly = CrontabSchedule.objects.create(
            minute="17", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
        )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "shop.delete_stale_carts",
            "crontab": nightly,
            "interval": None,
            "enabled": True,
            "description": "Deletes open carts untouched for 30 days and checked-out carts after 90 days.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_reconcile_every_five_minutes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
