"""Issue 10, item 3: the checkout success page asks Stripe only about a known order that is still unpaid,
and at most a few times a minute per client."""

import pytest
from django.core.cache import cache
from django.test import Client

from payments.client import get_stripe_client
from shop.models import Order
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def session_calls(emu) -> int:
    return sum(1 for call in emu.api_calls if call["path"].startswith("/v1/checkout/sessions"))


def success(client, session_id: str, address: str = "203.0.113.20"):
    return client.get("/checkout/success/", {"session_id": session_id}, REMOTE_ADDR=address)


def test_issue10_item3_unknown_and_foreign_sessions_cost_no_stripe_call(client, stripe_api, foosfoot, clean_cache):
    checkout(foosfoot)  # a real order exists, with its own session
    foreign = get_stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {"price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "X"}}, "quantity": 1}
            ],
            "success_url": "http://testserver/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        }
    )
    before = session_calls(stripe_api)

    for session_id in ["cs_test_" + "a" * 40, foreign.id, "cs_live_nobody"]:
        response = success(client, session_id)
        assert response.status_code == 404
        assert "We could not find that checkout" in response.content.decode()

    assert session_calls(stripe_api) == before


def test_issue10_item3_only_a_known_pending_order_is_looked_up(
    client, stripe_api, foosfoot, clean_cache, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    before = session_calls(stripe_api)

    assert success(client, result.session_id).status_code == 200  # pending: Stripe is asked
    assert session_calls(stripe_api) == before + 1

    stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        page = success(client, result.session_id)  # the customer is back before the webhook
    assert "your order is confirmed" in page.content.decode()
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.PAID
    assert session_calls(stripe_api) == before + 2

    for _ in range(5):  # paid: what we know is the truth, Stripe is not asked again
        assert success(client, result.session_id).status_code == 200
    assert session_calls(stripe_api) == before + 2


def test_issue10_item3_stripe_lookups_are_limited_per_client(client, stripe_api, foosfoot, clean_cache, settings):
    settings.SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE = 3
    result = checkout(foosfoot)
    before = session_calls(stripe_api)

    pages = [success(client, result.session_id, "203.0.113.21") for _ in range(8)]

    assert [page.status_code for page in pages] == [200] * 8  # the page, from what we know
    assert all("being confirmed" in page.content.decode() for page in pages)
    assert session_calls(stripe_api) == before + 3
    success(client, result.session_id, "198.51.100.9")  # another client is not affected
    assert session_calls(stripe_api) == before + 4


def test_a_nul_typed_into_the_address_on_stripes_page_does_not_stop_the_order_being_paid(
    client, stripe_api, foosfoot, clean_cache
):
    """Found by probing the demo: a city typed with a NUL in it on the hosted page. PostgreSQL stores no NUL (not in
    text, not in jsonb): what comes back from Stripe's API is kept without them, and the success page (and
    reconciliation, which asks the same way) pays the order."""
    order = checkout(foosfoot).order
    address = {"line1": "350 Fifth\x00 Avenue", "city": "New\x00York", "postal_code": "10118", "country": "US"}
    stripe_api.complete_session(order.checkout_session_id, "paid", name="Dana\x00 Walker", address=address,
                                send_webhook=False)  # fmt: skip
    response = success(client, order.checkout_session_id)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.customer_name == "Dana Walker"
    assert order.shipping_address["city"] == "NewYork" and order.shipping_address["line1"] == "350 Fifth Avenue"


def test_a_nul_typed_into_the_address_reaches_the_webhook_too_and_the_order_is_paid(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    order = checkout(foosfoot).order
    address = {"line1": "350 Fifth Avenue", "city": "New\x00York", "postal_code": "10118", "country": "US"}
    session = stripe_api.complete_session(order.checkout_session_id, "paid", address=address, send_webhook=False)
    event = stripe_api.build_event("checkout.session.completed", session)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, stripe_api, event)
    assert (response.status_code, response.json()["outcome"]) == (200, "processed")  # once refused: a 400, for days
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.shipping_address["city"] == "NewYork"


def test_the_cancel_link_of_an_order_paid_meanwhile_leads_to_the_order_page(client, stripe_api, foosfoot):
    """Found by probing the demo: back from Stripe's page by its cancel link after paying (the back button, or
    another tab), the buyer was told "Nothing was charged"; now they see their paid order."""
    assert client.post(f"/shop/{foosfoot.slug}/", {"quantity": 1}).status_code == 302
    assert client.post("/checkout/", {"email": "dana@example.com"}).status_code == 303
    order = Order.objects.get()
    stripe_api.complete_session(order.checkout_session_id, "paid", send_webhook=False)
    assert success(client, order.checkout_session_id).status_code == 200  # it asks Stripe: paid
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    response = client.get("/checkout/cancel/", {"order": order.token})
    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    # A browser that is not the buyer's learns nothing of the order, and is not told that nothing was charged.
    other = Client().get("/checkout/cancel/", {"order": order.token}).content.decode()
    assert "Nothing was charged" not in other and "If you did pay" in other
