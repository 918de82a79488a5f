"""The queries one Stripe event costs do not grow with the number of members."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Subscription
from tests.billing.conftest import DAY, join, pay

pytestmark = pytest.mark.django_db
MAX_QUERIES_PER_EVENT = 30


def members_rows(plan, count: int) -> None:
    Subscription.objects.bulk_create(
        Subscription(
            reference=f"HM-BULK{index:03d}",
            email=f"member{index}@example.com",
            plan=plan,
            status=Subscription.Status.ACTIVE,
            has_access=True,
            amount=plan.price,
            currency="USD",
            interval=plan.interval,
            stripe_subscription_id=f"sub_bulk{index}",
        )
        for index in range(count)
    )


def queries_by_type(deliver, events) -> dict[str, int]:
    """The most queries one delivery of each event type cost."""
    most: dict[str, int] = {}
    for event in events:
        with CaptureQueriesContext(connection) as queries:
            deliver([event])
        most[event["type"]] = max(most.get(event["type"], 0), len(queries))
    return most


def a_member_joins_and_renews(stripe_api, plan, stripe_events, deliver, email):
    plan.refresh_from_db()  # synced with Stripe at the first join
    result = join(plan, email)
    pay(stripe_api, result.session_id)
    joined = queries_by_type(deliver, stripe_events.take())
    stripe_api.advance_clock(31 * DAY)
    renewal = [
        e
        for e in stripe_events.take()
        if e["data"]["object"].get("customer") == result.subscription.customer.stripe_customer_id
    ]
    return joined, queries_by_type(deliver, renewal)


def test_an_events_queries_are_the_same_with_one_member_or_many(stripe_api, monthly, stripe_events, deliver):
    few_join, few_renew = a_member_joins_and_renews(stripe_api, monthly, stripe_events, deliver, "first@example.com")
    members_rows(monthly, 60)
    many_join, many_renew = a_member_joins_and_renews(stripe_api, monthly, stripe_events, deliver, "second@example.com")

    common = set(few_join) & set(many_join)  # the first join also synced the plan (product and price events)
    assert {"checkout.session.completed", "customer.subscription.created", "invoice.paid"} <= common
    assert {kind: many_join[kind] for kind in common} == {kind: few_join[kind] for kind in common}
    assert many_renew == few_renew
    assert max([*many_join.values(), *many_renew.values()]) <= MAX_QUERIES_PER_EVENT
    assert {"customer.subscription.updated", "invoice.paid"} <= set(many_renew)


def test_one_renewal_event_stays_under_its_query_budget(
    stripe_api, monthly, stripe_events, deliver, django_assert_max_num_queries
):
    members_rows(monthly, 40)
    result = join(monthly, "dana@example.com")
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    stripe_api.advance_clock(31 * DAY)
    for event in stripe_events.take("customer.subscription.updated", "invoice.paid"):
        with django_assert_max_num_queries(MAX_QUERIES_PER_EVENT):
            deliver([event])
