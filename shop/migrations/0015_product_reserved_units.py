"""Issue 16: each product counts the units its unpaid orders hold, so a checkout's reservation caps read one
locked row instead of adding up every unpaid order's lines. Counted once here from the unpaid orders."""

from django.db import migrations, models

COUNT_HELD_UNITS = """
UPDATE shop_product SET reserved = held.units
FROM (
    SELECT line.product_id, SUM(line.quantity) AS units
    FROM shop_orderline line JOIN shop_order o ON o.id = line.order_id
    WHERE o.status = 'pending_payment'
    GROUP BY line.product_id
) held
WHERE shop_product.id = held.product_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0014_low_stock_alerts_and_dashboard_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="reserved",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text=(
                    "Units held by unpaid orders: taken from stock, not sold yet (shop.stock keeps it, under the row "
                    "lock)."
                ),
            ),
        ),
        migrations.RunSQL(COUNT_HELD_UNITS, migrations.RunSQL.noop),
    ]
