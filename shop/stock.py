"""An order's units taken from and given back to stock. Products are always locked in pk order,
so two orders touching the same products never deadlock."""

from django.db.models import F
from django.utils import timezone

from shop.alerts import check_low_stock_after_commit
from shop.models import Order, OrderLine, Product


def _units_per_product(order: Order) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in OrderLine.objects.filter(order=order):
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    return quantities


def release_stock(*, order: Order) -> bool:
    """Give the order's reserved units back to stock, once."""
    if order.stock_released_at is not None:
        return False
    quantities = _units_per_product(order)
    for product in Product.objects.select_for_update().filter(pk__in=quantities).order_by("pk"):
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + quantities[product.pk])
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
