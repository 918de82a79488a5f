"""The suppression list moves to `core` (the one mail function checks it): copy every row, then drop ours.

SQL rather than the ORM so `created_at` (auto_now_add) keeps each row's own time; `WHERE 1 = 1` because
SQLite (`make run`) needs a WHERE before an upsert's ON CONFLICT in INSERT … SELECT.
"""

from django.db import migrations

COPY = (
    "INSERT INTO {to} (email, reason, source, created_at) "
    "SELECT email, reason, source, created_at FROM {source} WHERE 1 = 1 ON CONFLICT (email) DO NOTHING"
)


def copy_to_core(apps, schema_editor):
    schema_editor.execute(COPY.format(to="core_suppression", source="programs_suppression"))


def copy_back(apps, schema_editor):
    schema_editor.execute(COPY.format(to="programs_suppression", source="core_suppression"))


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0004_enrollment_email_case_insensitive_index"),
        ("core", "0001_suppression"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(name="Suppression"),
    ]
