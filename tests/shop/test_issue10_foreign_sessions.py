"""Issue 10, item 11: a signed event applies to an order only when the session is that order's own."""

import pytest

from payments.client import as_dict, get_stripe_client
from payments.models import StripeEvent
from shop.models import Order, OrderEvent
from tests.factories import OrderFactory, OrderLineFactory
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db


def session_naming(order: Order, **extra) -> dict:
    """A Checkout Session of our Stripe account that is not `order`'s, but names its number (and its amount)."""
    line = order.lines.get()
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": int(line.unit_price * 100),
                    "product_data": {"name": line.product_name},
                },
                "quantity": line.quantity,
            }
        ],
        "client_reference_id": order.number,
        "metadata": {"order_number": order.number},
        "success_url": "http://testserver/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        **extra,
    }
    return as_dict(get_stripe_client().v1.checkout.sessions.create(params=params))


def paid_event(emu, session_id: str, **changes) -> dict:
    session = emu.complete_session(session_id, "paid", send_webhook=False)
    event = emu.build_event("checkout.session.completed", session)
    event["data"]["object"].update(changes)
    return event


def test_issue10_item11_a_session_that_is_not_the_orders_own_does_not_pay_it(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    order_b = checkout(foosfoot, quantity=2).order
    foreign = session_naming(order_b)
    assert foreign["id"] != order_b.checkout_session_id

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, stripe_api, paid_event(stripe_api, foreign["id"]))

    assert response.status_code == 200
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PENDING_PAYMENT
    assert order_b.checkout_session_id != foreign["id"]
    assert order_b.needs_attention
    assert foreign["id"] in order_b.attention_reason
    assert OrderEvent.objects.filter(order=order_b, kind="flagged").count() == 1
    assert not OrderEvent.objects.filter(order=order_b, to_status=Order.Status.PAID).exists()
    assert StripeEvent.objects.get().state in (StripeEvent.State.IGNORED, StripeEvent.State.PROCESSED)

    # Its own session still pays it.
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, stripe_api, paid_event(stripe_api, order_b.checkout_session_id))
    assert Order.objects.get(pk=order_b.pk).status == Order.Status.PAID


def test_issue10_item11_a_foreign_session_does_not_pay_an_order_with_no_session_yet_if_another_order_owns_it(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    owner = checkout(foosfoot).order
    order_b = OrderFactory(total=foosfoot.price)
    OrderLineFactory(order=order_b, product=foosfoot, unit_price=foosfoot.price)
    # The owner's own session, its client_reference_id rewritten to B's number.
    event = paid_event(stripe_api, owner.checkout_session_id, client_reference_id=order_b.number)
    event["data"]["object"]["metadata"] = {"order_number": order_b.number}

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, stripe_api, event)

    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PENDING_PAYMENT
    assert order_b.checkout_session_id == ""
    assert Order.objects.get(pk=owner.pk).status == Order.Status.PAID  # it is the owner's session


def test_issue10_item11_a_session_stripe_made_before_we_stored_its_id_still_pays_its_order(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    order = checkout(foosfoot).order
    session_id = order.checkout_session_id
    Order.objects.filter(pk=order.pk).update(checkout_session_id="")  # the process died before saving it

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, stripe_api, paid_event(stripe_api, session_id))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.checkout_session_id == session_id
    assert not order.needs_attention


def test_issue10_item11_a_recovered_session_pays_the_order_whose_session_it_recovers(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    order = checkout(foosfoot).order
    recovery = session_naming(order)

    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, stripe_api, paid_event(stripe_api, recovery["id"], recovered_from=order.checkout_session_id))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert not order.needs_attention
