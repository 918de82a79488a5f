"""Returns (issue 12): staff receive the units a customer sent back, from the order's own page.

One service, `receive_return`, in one transaction with the order and its lines locked: the units coming back
per line (never more than were bought and not yet returned: `OrderLine.returned_quantity`), restocked unless
damaged, refunded through Stripe for what was paid for them, and told to the customer in one return email
(MailKind.ORDER, a recorded `OrderEmail` keyed by the return). Each step is an order event. If Stripe refuses
the refund, nothing of the return is kept: staff try again.

What a unit was paid is its price less its share of the discount plus its share of the tax on the products,
shared out in proportion (exactly, with fractions, rounded once per return), so returning every unit refunds
exactly what was paid for the products. The shipping is refunded only when staff mark the shop at fault, and
only once. Never more is refunded than what was paid and is not refunded yet, less the shipping the shop
keeps: a refund made earlier (the refund page, the Stripe dashboard) counts against the products. An order
paid nothing (a 100 % code and free shipping) refunds nothing and only restocks.

Refunds made in the Stripe dashboard still only record money (shop.refunds), never stock.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Sum

from payments.money import currency_exponent
from shop.emails import deliver_order_email, record_order_email
from shop.history import record_order_event
from shop.models import Order, OrderLine, OrderReturn, Product, ReturnLine
from shop.orders import OrderError
from shop.refunds import create_refund, sync_refund_status

Status = Order.Status
RETURNABLE_STATUSES = (Status.PAID, Status.SHIPPED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
ZERO = Decimal("0.00")


def _places(currency: str) -> Decimal:
    return Decimal(1).scaleb(-min(currency_exponent(currency), 2))


def unit_values(order: Order, lines: list[OrderLine]) -> dict[int, Fraction]:
    """What the customer paid for one unit of each line: its price, less its share of the discount, plus its
    share of the tax on the products (exact fractions)."""
    subtotal, discount = Fraction(order.subtotal), Fraction(order.discount_total)
    product_tax = Fraction(max(order.tax_total - order.shipping_tax, ZERO))
    discounted = subtotal - discount
    values = {}
    for line in lines:
        amount = Fraction(line.unit_price) * line.quantity
        off = discount * amount / subtotal if subtotal else Fraction(0)
        tax = product_tax * (amount - off) / discounted if discounted else Fraction(0)
        values[line.pk] = (amount - off + tax) / line.quantity if line.quantity else Fraction(0)
    return values


def paid_for_units(order: Order, lines: list[OrderLine], counts: dict[int, int]) -> Decimal:
    """What was paid for `counts` units of each line, rounded half-up to the currency's cents."""
    values = unit_values(order, lines)
    exact = sum((values[pk] * count for pk, count in counts.items()), Fraction(0))
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(_places(order.currency), ROUND_HALF_UP)


def return_refund(order: Order, lines: list[OrderLine], quantities: dict[int, int], shop_at_fault: bool):
    """(amount to refund, the part of it that is shipping) for returning `quantities` more units."""
    before = {line.pk: line.returned_quantity for line in lines}
    after = {pk: before[pk] + quantities.get(pk, 0) for pk in before}
    goods = paid_for_units(order, lines, after) - paid_for_units(order, lines, before)
    shipping_paid = order.shipping_total + order.shipping_tax
    shipping_refunded = order.returns.aggregate(s=Sum("shipping_refund"))["s"] or ZERO
    shipping = shipping_paid - shipping_refunded if shop_at_fault else ZERO
    kept_shipping = shipping_paid - shipping_refunded - shipping
    left = order.total - order.amount_refunded - kept_shipping
    amount = max(min(goods + shipping, left), ZERO)
    return amount, min(shipping, amount)


def _check_quantities(lines: dict[int, OrderLine], quantities: dict[int, int], damaged: dict[int, int]) -> None:
    for pk, count in {**quantities, **damaged}.items():
        if pk not in lines or not isinstance(count, int) or count < 0:
            raise OrderError("invalid_return", "Choose units of this order's own lines.")
    for pk, count in quantities.items():
        line, broken = lines[pk], damaged.get(pk, 0)
        if count > line.quantity - line.returned_quantity:
            left = line.quantity - line.returned_quantity
            raise OrderError("invalid_return", f"{line.product_name}: at most {left} unit(s) can still come back.")
        if broken > count:
            raise OrderError("invalid_return", f"{line.product_name}: more damaged units than units returned.")
    if not any(quantities.values()):
        raise OrderError("invalid_return", "Choose at least one unit that came back.")


def _restock(lines: dict[int, OrderLine], restock: dict[int, int]) -> list[str]:
    """Put the undamaged units back on sale (products locked in pk order: no deadlock with a checkout)."""
    units: dict[int, int] = {}
    for pk, count in restock.items():
        if count:
            units[lines[pk].product_id] = units.get(lines[pk].product_id, 0) + count
    for product in Product.objects.select_for_update().filter(pk__in=units).order_by("pk"):
        Product.objects.filter(pk=product.pk).update(stock=F("stock") + units[product.pk])
    return [f"{count} × {lines[pk].product_name}" for pk, count in restock.items() if count]


def _record_lines(order_return, lines, quantities, damaged) -> str:
    parts = []
    for pk, count in quantities.items():
        if not count:
            continue
        broken = damaged.get(pk, 0)
        ReturnLine.objects.create(
            order_return=order_return, order_line=lines[pk], quantity=count, restocked=count - broken
        )
        OrderLine.objects.filter(pk=pk).update(returned_quantity=F("returned_quantity") + count)
        parts.append(f"{count} × {lines[pk].product_name}" + (f" ({broken} damaged)" if broken else ""))
    return ", ".join(parts)


def _refund(order: Order, order_return: OrderReturn, user) -> None:
    if order_return.refund_amount <= 0:
        return
    if not order.payment_intent_id:
        raise OrderError("not_refundable", f"Order {order.number} has no payment to refund.", 409)
    why = "the shop at fault, shipping included" if order_return.shipping_refund else "the units returned"
    order_return.refund = create_refund(
        order=order,
        amount=order_return.refund_amount,
        user=user,
        reason="requested_by_customer",
        note=f"Return {order_return.pk}: {why}.",
        purpose=f"return-{order_return.pk}",
        announce=False,  # the return email tells of it
    )
    order_return.save(update_fields=["refund"])
    sync_refund_status(order, user=user)


def receive_return(
    *,
    order: Order,
    quantities: dict[int, int],
    damaged: dict[int, int] | None = None,
    shop_at_fault: bool = False,
    note: str = "",
    user,
) -> OrderReturn:
    """Receive `quantities` units per order line id (`damaged` of them not restocked), refund what was paid for
    them (and the shipping when `shop_at_fault`), email the customer. Needs `shop.receive_return`."""
    if user is None or not user.has_perm("shop.receive_return"):
        raise PermissionDenied("Returns need the 'Can receive returns' permission.")
    damaged = {pk: count for pk, count in (damaged or {}).items() if count}
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in RETURNABLE_STATUSES:
            raise OrderError("not_returnable", f"Order {order.number} was never paid: nothing can come back.", 409)
        lines = {line.pk: line for line in OrderLine.objects.select_for_update().filter(order=order).order_by("pk")}
        _check_quantities(lines, quantities, damaged)
        amount, shipping = return_refund(order, list(lines.values()), quantities, shop_at_fault)
        order_return = OrderReturn.objects.create(
            order=order,
            created_by=user,
            shop_at_fault=shop_at_fault,
            refund_amount=amount,
            shipping_refund=shipping,
            note=note.strip(),
        )
        received = _record_lines(order_return, lines, quantities, damaged)
        record_order_event(order=order, kind="return_received", user=user, message=f"Return received: {received}.")
        restock = {pk: count - damaged.get(pk, 0) for pk, count in quantities.items()}
        restocked = _restock(lines, restock)
        if restocked:
            record_order_event(
                order=order, kind="restocked", user=user, message=f"Back in stock: {', '.join(restocked)}."
            )
        _refund(order, order_return, user)
        email_id = record_order_email(order_id=order.pk, kind="return", order_return=order_return)
        transaction.on_commit(lambda: deliver_order_email(order_id=order.pk, kind="return", email_id=email_id))
    return order_return
