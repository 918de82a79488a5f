"""The Stripe emulator, driven by the real `stripe` library over HTTP.

Webhooks go to a tiny standard-library receiver (support.py), so these tests
need neither the database nor Django's webhook view.
"""

import json
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.request import Request

import pytest
import stripe
from django.conf import settings

from stripe_emulator import StripeEmulator

from .support import SECRET_KEY, PageForm, browser, fetch


def session_params(**overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "eur", "unit_amount": 18900, "product_data": {"name": "FoosFoot"}},
                "quantity": 2,
            },
            {
                "price_data": {"currency": "eur", "unit_amount": 34900, "product_data": {"name": "FoosFoot two-pack"}},
                "quantity": 1,
            },
        ],
        "success_url": "http://shop.test/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart/",
        "client_reference_id": "HH-1001",
        "customer_email": "buyer@example.com",
        "expires_at": int(time.time()) + 31 * 60,
        "shipping_address_collection": {"allowed_countries": ["US", "DE", "IL"]},
        "metadata": {"order_number": "HH-1001"},
    }
    params.update(overrides)
    return params


def create_paid_session(client, stripe_api, **overrides):
    session = client.v1.checkout.sessions.create(params=session_params(**overrides))
    stripe_api.complete_session(session.id, send_webhook=False)
    return client.v1.checkout.sessions.retrieve(session.id)


# ------------------------------------------------------------------- fixtures


def test_stripe_api_fixture_points_settings_at_a_clean_emulator(stripe_api):
    assert stripe_api.base_url == settings.STRIPE_API_BASE
    assert stripe_api.sessions == {}
    assert stripe_api.events == []
    assert stripe_api.webhook_secret == settings.STRIPE_WEBHOOK_SECRET


# ------------------------------------------------------------ checkout sessions


def test_create_and_retrieve_a_checkout_session(client, stripe_api):
    params = session_params()
    session = client.v1.checkout.sessions.create(params=params)

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{stripe_api.base_url}/pay/{session.id}"
    assert session.amount_total == 2 * 18900 + 34900
    assert session.currency == "eur"
    assert session.status == "open"
    assert session.payment_status == "unpaid"
    assert session.payment_intent is None
    assert session.client_reference_id == "HH-1001"
    assert session.customer_email == "buyer@example.com"
    assert session.expires_at == params["expires_at"]
    assert session.metadata.to_dict() == {"order_number": "HH-1001"}
    assert session.shipping_address_collection.allowed_countries == ["US", "DE", "IL"]

    again = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})
    assert again.id == session.id
    assert again.payment_intent is None
    lines = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(item.description, item.quantity, item.amount_total) for item in lines.data] == [
        ("FoosFoot", 2, 37800),
        ("FoosFoot two-pack", 1, 34900),
    ]


def test_the_form_encoding_of_stripe_python_is_decoded_into_nested_values(client, stripe_api):
    client.v1.checkout.sessions.create(params=session_params())

    call = stripe_api.api_calls[-1]
    assert call["method"] == "POST"
    assert call["path"] == "/v1/checkout/sessions"
    assert call["idempotency_key"]  # stripe-python sends one on every POST
    assert call["stripe_version"] == stripe.api_version
    assert call["params"]["line_items"][1]["price_data"]["product_data"]["name"] == "FoosFoot two-pack"
    assert call["params"]["shipping_address_collection"]["allowed_countries"] == ["US", "DE", "IL"]


def test_the_same_idempotency_key_returns_the_same_session(client, stripe_api):
    first = client.v1.checkout.sessions.create(params=session_params(), options={"idempotency_key": "order-HH-1001"})
    second = client.v1.checkout.sessions.create(
        params=session_params(expires_at=first.expires_at), options={"idempotency_key": "order-HH-1001"}
    )

    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_api.sessions) == 1

    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="HH-1002"), options={"idempotency_key": "order-HH-1001"}
        )


def test_forty_concurrent_creations_make_forty_sessions_and_one_per_shared_key(client, stripe_api):
    with ThreadPoolExecutor(max_workers=40) as pool:
        ids = list(
            pool.map(
                lambda n: client.v1.checkout.sessions.create(params=session_params(client_reference_id=f"HH-{n}")).id,
                range(40),
            )
        )
    assert len(set(ids)) == 40

    params = session_params()
    with ThreadPoolExecutor(max_workers=40) as pool:
        same = list(
            pool.map(
                lambda _: client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "shared"}).id,
                range(40),
            )
        )
    assert len(set(same)) == 1
    assert len(stripe_api.sessions) == 41


def test_an_api_key_is_required(stripe_api):
    anonymous = stripe.StripeClient("not-a-key", base_addresses={"api": stripe_api.base_url})
    with pytest.raises(stripe.AuthenticationError) as raised:
        anonymous.v1.checkout.sessions.create(params=session_params())
    assert raised.value.http_status == 401

    status, _, body = fetch(f"{stripe_api.base_url}/v1/checkout/sessions", data={"mode": "payment"})
    assert status == 401
    assert json.loads(body)["error"]["type"] == "invalid_request_error"
    assert stripe_api.sessions == {}


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"line_items": None}, "line_items"),
        ({"mode": None}, "mode"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"success_url": "http://shop.test/ok\r\nSet-Cookie: x=1"}, "success_url"),
        ({"cancel_url": "javascript:alert(1)"}, "cancel_url"),
        ({"expires_at": int(time.time()) - 10}, "expires_at"),
        ({"colour": "red"}, "colour"),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "X"}},
                        "quantity": 0,
                    }
                ]
            },
            "line_items[0][quantity]",
        ),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "eur", "unit_amount": "ten", "product_data": {"name": "X"}},
                        "quantity": 1,
                    }
                ]
            },
            "line_items[0][price_data][unit_amount]",
        ),
    ],
)
def test_bad_session_parameters_are_refused_like_stripe(client, stripe_api, overrides, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=session_params(**overrides))
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert stripe_api.sessions == {}


def test_an_unknown_session_is_a_404(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"


def test_expiring_a_session_sends_checkout_session_expired(client, stripe_api, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.url is None
    [event] = receiver.wait_for(1)
    assert event.type == "checkout.session.expired"
    assert event.data.object.id == session.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_the_sweep_expires_sessions_past_expires_at(client, stripe_api, receiver):
    session = client.v1.checkout.sessions.create(params=session_params(expires_at=int(time.time()) + 1))

    [event] = receiver.wait_for(1)  # the background sweep, no call from us

    assert event.type == "checkout.session.expired"
    assert event.data.object.id == session.id
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_sweeping_ahead_expires_the_sessions_due_by_then(client, stripe_api):
    due = client.v1.checkout.sessions.create(params=session_params())
    later = client.v1.checkout.sessions.create(params=session_params(expires_at=int(time.time()) + 3 * 3600))

    assert stripe_api.sweep_expired(within=3600) == [due.id]

    assert client.v1.checkout.sessions.retrieve(due.id).status == "expired"
    assert client.v1.checkout.sessions.retrieve(later.id).status == "open"
    assert [e["type"] for e in stripe_api.events] == ["checkout.session.expired"]


# -------------------------------------------------------------------- refunds


def test_partial_and_full_refunds_accumulate_on_the_charge(client, stripe_api, receiver):
    session = create_paid_session(client, stripe_api)
    total = session.amount_total

    partial = client.v1.refunds.create(
        params={"payment_intent": session.payment_intent, "amount": 5000, "metadata": {"by": "staff"}}
    )
    rest = client.v1.refunds.create(params={"payment_intent": session.payment_intent})

    assert (partial.object, partial.status, partial.amount) == ("refund", "succeeded", 5000)
    assert rest.amount == total - 5000
    assert client.v1.refunds.retrieve(partial.id).metadata.to_dict() == {"by": "staff"}
    # Each event travels on its own delivery thread, so arrival order is not guaranteed
    # (nor is it on Stripe): order them by what they report.
    first, second = sorted(receiver.wait_for(2), key=lambda event: event.data.object.amount_refunded)
    assert [first.type, second.type] == ["charge.refunded", "charge.refunded"]
    assert (first.data.object.amount_refunded, first.data.object.refunded) == (5000, False)
    assert (second.data.object.amount_refunded, second.data.object.refunded) == (total, True)
    assert second.data.object.payment_intent == session.payment_intent
    assert second.data.object.amount == total
    assert second.data.object.currency == "eur"
    assert [r.id for r in second.data.object.refunds.data] == [rest.id, partial.id]


def test_refunding_more_than_was_charged_is_refused(client, stripe_api):
    session = create_paid_session(client, stripe_api)

    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": session.payment_intent, "amount": session.amount_total + 1})
    client.v1.refunds.create(params={"payment_intent": session.payment_intent})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": session.payment_intent, "amount": 1})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.refunds.create(params={"payment_intent": "pi_unknown"})

    assert (too_much.value.http_status, too_much.value.code) == (400, "amount_too_large")
    assert again.value.code == "charge_already_refunded"
    assert unknown.value.code == "resource_missing"
    assert len(stripe_api.refunds) == 1


def test_a_dashboard_refund_sends_charge_refunded(client, stripe_api, receiver):
    session = create_paid_session(client, stripe_api)

    refund = stripe_api.refund(session.payment_intent, 1000)

    [event] = receiver.wait_for(1)
    assert event.type == "charge.refunded"
    assert event.data.object.amount_refunded == 1000
    assert event.data.object.refunds.data[0].id == refund["id"]
    assert client.v1.payment_intents.retrieve(session.payment_intent).status == "succeeded"


# ------------------------------------------------------------------ pay page


def test_the_pay_page_is_accessible_and_self_contained(client, stripe_api):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, headers, body = fetch(session.url)

    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = PageForm()
    page.feed(body)
    assert page.html_lang == "en"
    assert set(page.fields) == {"email", "name", "line1", "line2", "city", "state", "postal_code", "country"}
    assert all(attrs["id"] in page.labels for attrs in page.fields.values())
    assert page.buttons == ["pay", "delayed", "cancel"]
    assert page.external == []
    assert "FoosFoot two-pack" in body
    assert "727.00 EUR" in body


def test_paying_on_the_page_redirects_and_sends_a_signed_completed_event(client, stripe_api, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())
    form = {
        "action": "pay",
        "email": "buyer@example.com",
        "name": "Noa Levi",
        "line1": "12 Herzl Street",
        "line2": "",
        "city": "Tel Aviv",
        "state": "",
        "postal_code": "6100000",
        "country": "IL",
    }

    status, headers, _ = fetch(session.url, data=form)

    assert status == 303
    assert headers["Location"] == f"http://shop.test/checkout/success/?session_id={session.id}"
    [event] = receiver.wait_for(1)
    assert event.type == "checkout.session.completed"
    assert event.object == "event" and event.livemode is False
    paid = event.data.object
    assert (paid.id, paid.status, paid.payment_status) == (session.id, "complete", "paid")
    assert paid.payment_intent.startswith("pi_")
    assert paid.amount_total == session.amount_total
    assert paid.customer_details.email == "buyer@example.com"
    assert paid.customer_details.name == "Noa Levi"
    shipping = paid.collected_information.shipping_details
    assert shipping.name == "Noa Levi"
    assert (shipping.address.line1, shipping.address.city, shipping.address.postal_code, shipping.address.country) == (
        "12 Herzl Street",
        "Tel Aviv",
        "6100000",
        "IL",
    )
    assert "shipping_details" not in paid  # moved to collected_information in 2025-03-31.basil
    intent = client.v1.payment_intents.retrieve(paid.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", session.amount_total)
    # the page of a paid session no longer takes a payment
    status, _, body = fetch(session.url, data=form)
    assert status == 409
    assert len(receiver.received) == 1


def test_a_payer_error_on_the_page_is_shown_and_nothing_is_paid(client, stripe_api):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, _, body = fetch(
        session.url,
        data={
            "action": "pay",
            "email": "nope",
            "name": "X",
            "line1": "1",
            "city": "c",
            "postal_code": "1",
            "country": "US",
        },
    )

    assert status == 400
    assert 'role="alert"' in body
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_the_delayed_method_completes_unpaid_then_settles(client, stripe_api, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, _, _ = fetch(session.url, data={"action": "delayed", **stripe_api_defaults()})
    assert status == 303
    [completed] = receiver.wait_for(1)
    assert (completed.type, completed.data.object.payment_status) == ("checkout.session.completed", "unpaid")
    _, _, body = fetch(session.url)
    assert "settle_succeeded" in body

    status, _, _ = fetch(session.url, data={"action": "settle_succeeded"})

    assert status == 303
    _, succeeded = receiver.wait_for(2)
    assert succeeded.type == "checkout.session.async_payment_succeeded"
    assert succeeded.data.object.payment_status == "paid"
    assert client.v1.payment_intents.retrieve(completed.data.object.payment_intent).status == "succeeded"


def stripe_api_defaults():
    return {
        "email": "dana@example.com",
        "name": "Dana Walker",
        "line1": "350 Fifth Avenue",
        "city": "New York",
        "state": "NY",
        "postal_code": "10118",
        "country": "US",
    }


def test_a_failed_delayed_payment_sends_async_payment_failed(client, stripe_api, receiver):
    session = client.v1.checkout.sessions.create(params=session_params())

    stripe_api.complete_session(session.id, outcome="delayed_failed")

    # each event has its own delivery thread: like Stripe, no order is promised
    events = {event.type: event for event in receiver.wait_for(2)}
    assert set(events) == {"checkout.session.completed", "checkout.session.async_payment_failed"}
    failed = events["checkout.session.async_payment_failed"]
    assert failed.data.object.payment_status == "unpaid"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": failed.data.object.payment_intent})


def test_cancel_returns_to_the_shop_and_leaves_the_session_open(client, stripe_api):
    session = client.v1.checkout.sessions.create(params=session_params())

    status, headers, _ = fetch(session.url, data={"action": "cancel"})

    assert (status, headers["Location"]) == (303, "http://shop.test/cart/")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert stripe_api.events == []


# ------------------------------------------------------------------- webhooks


def test_webhook_deliveries_are_retried_until_a_2xx(client, stripe_api, receiver):
    receiver.statuses = [500, 503]
    session = client.v1.checkout.sessions.create(params=session_params())

    stripe_api.complete_session(session.id)

    deliveries = stripe_api.wait_for_deliveries()
    events = receiver.events()  # each attempt is signed and verifies
    assert [status for _, _, status in deliveries] == [500, 503, 200]
    assert {e.id for e in events} == {deliveries[0][0]}
    assert {d[1] for d in deliveries} == {"checkout.session.completed"}


def test_webhook_delivery_gives_up_after_five_attempts(client, stripe_api, receiver):
    receiver.statuses = [500] * 10
    session = client.v1.checkout.sessions.create(params=session_params())

    stripe_api.expire_session(session.id)

    assert [status for _, _, status in stripe_api.wait_for_deliveries()] == [500] * 5


def test_signatures_verify_with_the_stripe_library_and_only_with_the_right_secret(stripe_api):
    event = stripe_api.build_event("checkout.session.completed", {"id": "cs_test_x", "object": "checkout.session"})
    payload = json.dumps(event).encode()

    assert (
        stripe.Webhook.construct_event(payload, stripe_api.sign(payload), settings.STRIPE_WEBHOOK_SECRET).id
        == event["id"]
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload, stripe_api.sign(payload, secret="whsec_wrong"), settings.STRIPE_WEBHOOK_SECRET
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stale = stripe_api.sign(payload, timestamp=int(time.time()) - 600)
        stripe.Webhook.construct_event(payload, stale, settings.STRIPE_WEBHOOK_SECRET)


def test_send_event_posts_once_and_answers_the_status(stripe_api, receiver):
    receiver.statuses = [400]
    event = stripe_api.build_event("checkout.session.completed", {"id": "cs_test_x", "object": "checkout.session"})

    assert stripe_api.send_event(event) == 400
    assert stripe_api.send_event(event) == 200
    assert [d[2] for d in stripe_api.deliveries] == [400, 200]


# ------------------------------------------------------------- API robustness


def test_an_injected_server_error_is_retried_by_the_library_with_the_same_key(client, stripe_api):
    stripe_api.fail_next("POST", "/v1/checkout/sessions", status=500)

    session = client.v1.checkout.sessions.create(params=session_params())

    calls = [c for c in stripe_api.api_calls if c["path"] == "/v1/checkout/sessions"]
    assert [c["status"] for c in calls] == [500, 200]
    assert calls[0]["idempotency_key"] == calls[1]["idempotency_key"]
    assert list(stripe_api.sessions) == [session.id]


def test_the_command_line_serves_until_terminated(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--webhook-secret", "whsec_cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base_url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        status, _, body = fetch(f"{base_url}/health")
        assert (status, json.loads(body)["status"]) == (200, "ok")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_the_emulator_can_run_standalone_as_a_context_manager():
    with StripeEmulator(webhook_secret="whsec_standalone") as emulator:
        client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": emulator.base_url})
        session = client.v1.checkout.sessions.create(params=session_params())
        assert emulator.session(session.id)["status"] == "open"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/checkout/sessions", b"line_items=abc&mode=payment"),
        ("POST", "/v1/checkout/sessions", b"line_items[0]=x&mode=payment"),
        ("POST", "/v1/checkout/sessions", b"metadata=x&metadata[a]=1"),
        ("POST", "/v1/checkout/sessions", b"a[=1"),
        ("POST", "/v1/checkout/sessions", b"\xff\xfe\x00"),
        ("POST", "/v1/checkout/sessions", b"mode=payment&expires_at=99999999999999999999999"),
        ("POST", "/v1/refunds", b"payment_intent=pi_x&amount=-5"),
        ("POST", "/v1/refunds", b"amount[x]=1"),
        ("GET", "/v1/checkout/sessions/cs_x?expand[]=nothing", None),
        ("GET", "/v1/unknown", None),
        ("DELETE", "/v1/checkout/sessions", None),
    ],
)
def test_malformed_api_requests_get_a_stripe_shaped_4xx(stripe_api, method, path, body):
    request = Request(
        f"{stripe_api.base_url}{path}", data=body, method=method, headers={"Authorization": f"Bearer {SECRET_KEY}"}
    )
    try:
        with browser.open(request, timeout=10) as response:
            status, payload = response.status, response.read()
    except HTTPError as error:
        status, payload = error.code, error.read()

    assert 400 <= status < 500
    assert set(json.loads(payload)["error"]) >= {"type", "message"}
    assert stripe_api.sessions == {}


def test_webhooks_reach_the_live_servers_endpoint(stripe_webhooks_to_live_server):
    emulator = stripe_webhooks_to_live_server
    event = emulator.build_event("customer.created", {"id": "cus_123", "object": "customer"})

    emulator.deliver_event(event)

    assert emulator.wait_for_deliveries() == [(event["id"], "customer.created", 200)]
