"""The admin dashboard's lesson and enrollment figures, and the admin's delivery list, by index (issue 15).

Built CONCURRENTLY on PostgreSQL (a plain index on the demo's SQLite): on a table of millions of deliveries a plain CREATE INDEX would hold up every send and
every engagement event while it runs.
"""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("programs", "0012_delivery_report_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "sent")), fields=["sent_at"], name="delivery_sent_at_sent"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status", "failed")), fields=["updated_at"], name="delivery_failed_by_update"
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="enrollment",
            index=models.Index(fields=["created_at"], name="enrollment_created_at"),
        ),
    ]
