import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from billing.models import Plan
from programs import dispatch, tasks, welcome
from programs.models import Delivery, Enrollment
from shop.models import Order
from shop.signals import order_paid
from tests.billing.conftest import StripeEvents, post_event
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, program_with_steps


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def signed_in_staff(client, username: str, codenames: list[str]):
    """`client` signed in as a staff user holding these programs permissions (codenames), and no others."""
    user = get_user_model().objects.create_user(username, f"{username}@hodhod.example", "pw-123-secret", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="programs", codename__in=codenames))
    client.force_login(user)
    return client


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


# --- memberships (issue 13): plans, premium programs, Stripe events through /stripe/webhook/ ----------------


@pytest.fixture
def monthly(db):
    return Plan.objects.create(
        name="FoosFoot Coach, monthly", slug="coach-monthly", price=Decimal("9.00"), interval=Plan.Interval.MONTH
    )


@pytest.fixture
def yearly(db):
    return Plan.objects.create(
        name="FoosFoot Coach, yearly", slug="coach-yearly", price=Decimal("90.00"), interval=Plan.Interval.YEAR
    )


def member_send_hours() -> tuple[int, int]:
    """(Runners, Balance): 07:00 and 08:00, site time; but when the test runs between those two hours, a member
    joining now would get Balance's first lesson today and Runners' tomorrow, and the tests count lessons a day
    at a time: then 10:00 and 11:00, both still ahead today (the tests once failed from 07:00 to 08:00 UTC)."""
    return (10, 11) if timezone.localtime().hour == 7 else (7, 8)


@pytest.fixture
def premium(monthly, yearly):
    """Two premium programs, both granted by both plans: "Balance" (6 daily lessons), "Runners" (3), sending an
    hour apart (`member_send_hours`), Runners first."""
    runners_hour, balance_hour = member_send_hours()
    balance = program_with_steps(6, name="Balance", slug="balance", send_hour=balance_hour)
    runners = program_with_steps(3, name="Runners", slug="runners", send_hour=runners_hour)
    for program in (balance, runners):
        program.plans.add(monthly, yearly)
    return balance, runners


@pytest.fixture
def welcomes_inline(monkeypatch):
    """The welcome email sent at once, here (the worker's job), into Django's outbox."""
    monkeypatch.setattr(tasks, "queue_welcome", lambda pk: welcome.send_welcome(enrollment_id=pk))


@pytest.fixture
def stripe_events(stripe_api):
    return StripeEvents(stripe_api)


@pytest.fixture
def deliver(client, stripe_api, django_capture_on_commit_callbacks):
    """deliver(events, shuffle_seed=None, duplicate=False): each signed event POSTed to /stripe/webhook/, with
    what its transaction left for after the commit (billing's announcements, programs' welcome) run."""

    def send(events, *, shuffle_seed=None, duplicate=False):
        order = [event for event in events for _ in range(2 if duplicate else 1)]
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(order)
        for event in order:
            with django_capture_on_commit_callbacks(execute=True):
                response = post_event(client, stripe_api, event)
            assert response.status_code == 200, (event["type"], response.content)

    return send


def member_enrollments(email: str = "dana@example.com") -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(email__iexact=email, origin=Enrollment.Origin.MEMBER).order_by("program__slug")
    )


def statuses(email: str = "dana@example.com") -> dict[str, str]:
    """Program slug → status of the address's member enrollments."""
    return {enrollment.program.slug: enrollment.status for enrollment in member_enrollments(email)}


def sent_days(enrollment: Enrollment) -> list[int]:
    """The lessons (their order) the enrollment was sent, in order."""
    sent = enrollment.deliveries.filter(status=Delivery.Status.SENT)
    return list(sent.order_by("step__day").values_list("step__day", flat=True))
