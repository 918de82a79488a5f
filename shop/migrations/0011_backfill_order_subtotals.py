"""Orders placed before issue 12 had no breakdown: their subtotal is their total, the rest 0 (the defaults)."""

from django.db import migrations
from django.db.models import F


def subtotal_is_total(apps, schema_editor):
    Order = apps.get_model("shop", "Order")
    Order.objects.filter(subtotal=0).exclude(total=0).update(subtotal=F("total"))


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0010_order_money_breakdown"),
    ]

    operations = [
        migrations.RunPython(subtotal_is_total, migrations.RunPython.noop),
    ]
