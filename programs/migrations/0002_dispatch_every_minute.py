"""The one periodic schedule of the drips: a dispatch pass every minute (django-celery-beat)."""

from django.db import migrations

TASK_NAME = "programs: dispatch due lessons"


def create_tick(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "programs.dispatch_due_deliveries",
            "interval": every_minute,
            "enabled": True,
            "description": "Claims due lesson deliveries and enqueues one send task each.",
            "expire_seconds": 55,  # a tick nobody ran within the minute is superseded by the next one
        },
    )


def remove_tick(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0001_programs_enrollments_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_tick, remove_tick)]
