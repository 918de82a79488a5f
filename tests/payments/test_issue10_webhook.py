"""Issue 10, item 11, seen from the event store: a correctly signed event whose session is not the named
order's own is stored once as ignored; delivered again, it changes nothing more."""

import pytest

from payments.client import as_dict, get_stripe_client
from payments.models import StripeEvent
from shop.models import Order, OrderEvent
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db


def test_issue10_item11_a_foreign_session_event_is_stored_ignored_and_redelivery_changes_nothing(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    order = checkout(foosfoot).order
    foreign = as_dict(
        get_stripe_client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "price_data": {"currency": "usd", "unit_amount": 5900, "product_data": {"name": "X"}},
                        "quantity": 1,
                    }
                ],
                "client_reference_id": order.number,
                "success_url": "http://testserver/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
            }
        )
    )
    session = stripe_api.complete_session(foreign["id"], "paid", send_webhook=False)
    event = stripe_api.build_event("checkout.session.completed", session)

    with django_capture_on_commit_callbacks(execute=True):
        first = post_event(client, stripe_api, event)
        again = post_event(client, stripe_api, event)

    assert (first.status_code, first.json()["outcome"]) == (200, StripeEvent.State.IGNORED)
    assert again.json()["outcome"] == "duplicate"
    assert StripeEvent.objects.get(pk=event["id"]).state == StripeEvent.State.IGNORED
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    flags = OrderEvent.objects.filter(order=order, kind="flagged")
    assert [flag.stripe_event_id for flag in flags] == [event["id"]]
