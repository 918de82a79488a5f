import datetime as dt

import pytest

from programs import dispatch
from shop.models import Order
from shop.signals import order_paid
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, program_with_steps


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def foosfoot(db):
    return ProductFactory(slug="foosfoot-test", name="FoosFoot")


@pytest.fixture
def granted_program(foosfoot):
    return program_with_steps(3, name="Foundations", slug="foundations", granted_by=[foosfoot])


def make_paid_order(product, *, email="buyer@example.com", address=None) -> Order:
    order = OrderFactory(
        email=email,
        customer_name="Dana Buyer",
        status=Order.Status.PAID,
        shipping_address=address if address is not None else {"country": "US", "state": "NY"},
    )
    OrderLineFactory(order=order, product=product)
    return order


def announce_paid(order: Order) -> None:
    """What the shop does after the paid transition commits."""
    order_paid.send(sender=Order, order=order)


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """A dispatch pass whose send tasks run right here, in order, after the claim commits (no broker)."""

    def run(now: dt.datetime | None = None) -> list[dispatch.Outcome]:
        outcomes = []

        def enqueue(ids):
            outcomes.extend(dispatch.deliver(delivery_id=pk, final_attempt=False) for pk in ids)

        with django_capture_on_commit_callbacks(execute=True):
            dispatch.dispatch_due_deliveries(now=now, enqueue=enqueue)
        return outcomes

    return run


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The signup throttle counts in the cache; each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
