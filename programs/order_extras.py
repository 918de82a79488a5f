"""What a buyer reads about the exercise programs a product comes with (issue 11, item 2).

The product page (`{% product_programs product %}`), and, through `shop.hooks`, the checkout success
page and the order confirmation email. Each costs the same few queries whatever the order holds.
"""

from programs import lessons, selectors
from programs.models import Program
from shop.models import Order, Product

# Orders whose programs run: paid, and not refunded in full.
_RUNNING_ORDER_STATUSES = {Order.Status.PAID, Order.Status.SHIPPED, Order.Status.PARTIALLY_REFUNDED}


def how_it_works(program: Program) -> str:
    days = "a day" if program.weekdays == frozenset(range(7)) else "on each send day"
    return (
        f"One short lesson {days} by email, at {selectors.send_time_label(program.send_hour)} your time "
        "(you can change the hour). Pause or stop with one click."
    )


def product_programs(product: Product) -> list[dict]:
    """The programs buying `product` starts, as the product page shows them (one query)."""
    return [
        {
            "program": program,
            "title": f"Included: {program.name}",
            "summary": f"A free {selectors.length_label(program)} exercise program by email comes with your "
            f"{product.name}.",
            "how": how_it_works(program),
        }
        for program in selectors.programs_granted_by([product.pk])
    ]


def extras_for_order(order: Order) -> list[dict]:
    """`shop.hooks` provider: a paragraph per program the order includes, with its first lesson when it is known.

    Two queries: the programs its products grant, the order's enrollments.
    """
    if order.status not in _RUNNING_ORDER_STATUSES:
        return []
    programs = selectors.programs_granted_by(order.lines.values("product_id"))
    if not programs:
        return []
    enrolled = selectors.order_enrollments(order)
    extras = []
    for program in programs:
        text = (
            f"Your order comes with {program.name}, a free {selectors.length_label(program)} exercise program by email."
        )
        enrollment = enrolled.get(program.pk)
        if enrollment is None:
            extras.append({"title": f"Included: {program.name}", "text": f"{text} {how_it_works(program)}"})
            continue
        when = selectors.local_label(enrollment, enrollment.first_due, long=True)
        text += f" The first lesson arrives on {when}" if when else ""
        text += ", and a welcome email tells you what to expect." if when else " A welcome email tells you more."
        extras.append(
            {
                "title": f"Included: {program.name}",
                "text": text,
                "url": lessons.manage_url(enrollment),
                "link_text": "Change the lesson time, pause or stop",
            }
        )
    return extras
