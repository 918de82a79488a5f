"""An order's units taken from and given back to stock. Products are always locked in pk order,
so two orders touching the same products never deadlock.

`Product.reserved` counts the units that unpaid orders hold (issue 16): taken with the stock at checkout, given
back when the order is paid or cancelled, always under the product's row lock. The reservation caps read it on
the row they lock instead of adding up every unpaid order's lines (shop.limits).
"""

from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from shop.alerts import check_low_stock_after_commit
from shop.models import Order, OrderLine, Product


def _units_per_product(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in OrderLine.objects.filter(order=order):
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    return quantities


def _per_product(quantities: dict[int, int]) -> Case:
    return Case(*(When(pk=pk, then=Value(units)) for pk, units in quantities.items()), output_field=IntegerField())


def take_units(*, quantities: dict[int, int]) -> None:
    """Take a new unpaid order's units (`{product id: units}`) from stock and count them as reserved, in one
    UPDATE. Call with the products locked (`select_for_update`, in pk order) and their stock checked."""
    units = _per_product(quantities)
    Product.objects.filter(pk__in=quantities).update(stock=F("stock") - units, reserved=F("reserved") + units)


# The order is paid: its units are sold, no longer held. The products are locked in pk order by the CTE (a row-locking
# CTE is never folded into the UPDATE), so this never deadlocks with a checkout; never below zero (a count some
# other write left behind must not fail a payment).
_SETTLE_HELD_UNITS = """
WITH held AS (
    SELECT product_id, SUM(quantity) AS units FROM shop_orderline WHERE order_id = %s GROUP BY product_id
), locked AS MATERIALIZED (
    SELECT id FROM shop_product WHERE id IN (SELECT product_id FROM held) ORDER BY id FOR UPDATE
)
UPDATE shop_product SET reserved = GREATEST(shop_product.reserved - held.units, 0)
FROM held, locked WHERE shop_product.id = held.product_id AND shop_product.id = locked.id
"""


def settle_held_units(*, order_id: int) -> None:
    """The order is paid: its units no longer count as reserved by an unpaid order (one statement). Run after the
    payment's commit: a count left too high by a crash in between only makes the share cap a little looser."""
    if (
        connection.vendor != "postgresql"
    ):  # the demo's SQLite, which has no FOR UPDATE: the same, statement by statement
        held = OrderLine.objects.filter(order_id=order_id).values("product_id").annotate(units=Sum("quantity"))
        with transaction.atomic():
            for row in held.order_by("product_id"):
                Product.objects.filter(pk=row["product_id"]).update(
                    reserved=Greatest(F("reserved") - row["units"], Value(0))
                )
        return
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_HELD_UNITS, [order_id])


def release_stock(*, order: Order) -> bool:
    """Give the order's reserved units back to stock (and out of the reserved count), once."""
    if order.stock_released_at is not None:
        return False
    quantities = _units_per_product(order)
    locked = list(Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk").values_list("pk"))
    if locked:
        units = _per_product(quantities)
        Product.objects.filter(pk__in=quantities).update(
            stock=F("stock") + units, reserved=Greatest(F("reserved") - units, Value(0))
        )
    check_low_stock_after_commit(product_ids=quantities)  # back above the threshold: the next fall alerts again
    order.stock_released_at = timezone.now()
    order.save(update_fields=["stock_released_at", "updated_at"])
    return True


def reserve_stock_again(*, order: Order) -> bool:
    """Take a cancelled order's released units from stock again, all or nothing.
    False when any of them is no longer on hand."""
    if order.stock_released_at is None:
        return True
    quantities = _units_per_product(order)
    products = list(Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk"))
    if len(products) != len(quantities) or any(p.stock < quantities[p.pk] for p in products):
        return False
    for product in products:
        Product.objects.filter(pk=product.pk).update(stock=F("stock") - quantities[product.pk])
    check_low_stock_after_commit(product_ids=quantities)
    order.stock_released_at = None
    order.save(update_fields=["stock_released_at", "updated_at"])
    return True
