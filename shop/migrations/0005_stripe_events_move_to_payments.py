"""The Stripe event store moves to `payments` (shared with billing): copy every row, then drop ours.

SQL rather than the ORM so `received_at` (auto_now_add) keeps each event's own time.
"""

from django.db import migrations

COLUMNS = "id, type, payload, state, payment_intent_id, received_at, processed_at, attempts, last_error"
COPY = "INSERT INTO {to} (" + COLUMNS + ") SELECT " + COLUMNS + " FROM {source} WHERE 1 = 1 ON CONFLICT (id) DO NOTHING"  # noqa: S608 - our table names, no input


def copy_to_payments(apps, schema_editor):
    schema_editor.execute(COPY.format(to="payments_stripeevent", source="shop_stripeevent"))


def copy_back(apps, schema_editor):
    schema_editor.execute(COPY.format(to="shop_stripeevent", source="payments_stripeevent"))


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0004_delete_stale_carts_daily"),
        ("payments", "0001_stripe_events"),
    ]

    operations = [
        migrations.RunPython(copy_to_payments, copy_back),
        migrations.DeleteModel(name="StripeEvent"),
    ]
