"""The daily privacy pass (django-celery-beat): personal data scrubbed from old Stripe events, late events about
erasures scrubbed, old sign-in links deleted (accounts.retention)."""

from django.db import migrations

TASK_NAME = "accounts: privacy pass"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    fields = {
        "minute": "41",
        "hour": "3",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "timezone": "UTC",
    }
    nightly = CrontabSchedule.objects.filter(**fields).first() or CrontabSchedule.objects.create(**fields)
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "accounts.run_privacy_pass",
            "crontab": nightly,
            "interval": None,
            "enabled": True,
            "description": "Scrubs personal data from Stripe events older than STRIPE_EVENT_RETENTION_DAYS (the events "
            "stay), and from the events Stripe sent about recent erasures; deletes old sign-in links.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_sign_in_links_and_erasures"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
