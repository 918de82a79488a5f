"""Issue 16: the webhook stores an event and a worker applies it; reconciliation looks for events still to
apply (queued and never run, or failed) through this partial index, built without locking the table."""

from django.db import migrations, models

from core.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("payments", "0002_stripe_event_scrubbed_at")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="stripeevent",
            index=models.Index(
                condition=models.Q(("state__in", ["received", "failed"])),
                fields=["received_at"],
                name="payments_event_unapplied",
            ),
        ),
    ]
