"""One customer's orders, for the accounts app: a customer is an email address, compared without regard to case
(`email__iexact`, as the rest of the shop compares addresses), so orders placed before the address ever signed in
are theirs too."""

from django.db.models import QuerySet

from core.suppression import normalize_email
from shop.display import tracking_url
from shop.models import Order

Status = Order.Status
# Still to leave the warehouse: an erasure waits until it has shipped (or staff cancel it).
UNSHIPPED_STATUSES = (Status.PAID, Status.PARTIALLY_REFUNDED)


def orders_of(email: str) -> QuerySet[Order]:
    """Every order placed with this address, in any case."""
    address = normalize_email(email)
    return Order.objects.filter(email__iexact=address) if address else Order.objects.none()


def orders_for_account(email: str) -> list[Order]:
    """The account page's orders, newest first, each with its lines, `refunded_total` and `tracking_url`: two
    queries however many orders there are."""
    orders = list(orders_of(email).for_display().order_by("-created_at", "-pk"))
    for order in orders:
        order.tracking_url = tracking_url(order.carrier, order.tracking_number) if order.tracking_number else ""
    return orders


def orders_being_packed(email: str) -> list[Order]:
    """Paid orders of the address that have not shipped yet."""
    return list(orders_of(email).filter(status__in=UNSHIPPED_STATUSES, shipped_at__isnull=True).order_by("pk"))


def open_checkouts(email: str) -> list[Order]:
    """Orders of the address still waiting for their payment on Stripe."""
    return list(orders_of(email).filter(status=Status.PENDING_PAYMENT).order_by("pk"))
