"""Hostile input a schema-driven fuzzer does not produce: bodies that are not JSON objects, absurd
numbers, NUL bytes and huge strings in paths and query strings, wrong Content-Types, every method
on every route, garbage to the Stripe webhook, and garbage to the HTML pages.

The contract (README, "Contract"): no input produces a 5xx; every 4xx of /api/ is JSON
`{"code": str, "message": str, "fields"?: dict}`; pages answer with a page or a redirect.
"""

import hashlib
import hmac
import json
import time

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.hodhod.world import build_world

pytestmark = pytest.mark.django_db

HUGE = 10**30
LONG = "x" * 5000
NUL = "\x00"
GARBAGE_SEGMENTS = ["a" * 300, "%00", "abc%00def", "%C3%28", "..%2F..%2Fetc", "%F0%9F%A6%B6" * 20, "0", "-1", HUGE]
GARBAGE_PAGES = ["-1", "0", "abc", str(HUGE), "", "1.5", "%00", "1e9", "last", "99999"]


@pytest.fixture
def client():
    # A 500 must show as a 500 here, not as an exception that the WSGI server would turn into one.
    return Client(raise_request_exception=False)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    """Hundreds of requests per test: the throttles would answer most of them 429 before reading them."""
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    for scope in list(ScopedRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, scope, "100000/minute")
    cache.clear()


@pytest.fixture
def world(stripe_api):
    """Demo data, a cart with a line, an order and an enrollment: real identifiers for every route."""
    return build_world(email="hostile@example.com")


def api_routes(world) -> list[str]:
    cart, enrollment = world["cart"].token, world["enrollment"].token
    return [
        "/api/products/",
        f"/api/products/{world['product'].slug}/",
        "/api/carts/",
        f"/api/carts/{cart}/",
        f"/api/carts/{cart}/lines/",
        f"/api/carts/{cart}/lines/{world['line'].pk}/",
        f"/api/carts/{cart}/checkout/",
        f"/api/orders/{world['order'].token}/",
        "/api/programs/",
        f"/api/programs/{world['program'].slug}/signup/",
        f"/api/enrollments/{enrollment}/",
        f"/api/enrollments/{enrollment}/pause/",
        f"/api/enrollments/{enrollment}/resume/",
        f"/api/enrollments/{enrollment}/unsubscribe/",
        "/api/articles/",
        "/api/articles/weak-feet-and-back-pain/",
        "/api/faqs/",
        "/api/schema/",
        "/api/docs/",
        "/api/docs/?format=openapi",
    ]


def assert_api_answer(response, *, method: str = "GET") -> dict | None:
    where = f"{method} {response.request['PATH_INFO']}?{response.request.get('QUERY_STRING', '')}"[:300]
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.content[:300]!r}"
    if 400 <= response.status_code < 500:
        assert response["Content-Type"].startswith("application/json"), f"{where}: {response['Content-Type']}"
        if method == "HEAD":
            return None
        body = response.json()
        assert isinstance(body, dict), (where, body)
        assert isinstance(body.get("code"), str) and body["code"], (where, body)
        assert isinstance(body.get("message"), str) and body["message"], (where, body)
        assert isinstance(body.get("fields", {}), dict), (where, body)
        return body
    return None


def assert_page_answer(response, where: str) -> None:
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.content[:300]!r}"
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("text/html"), f"{where}: {response['Content-Type']}"


# --- the JSON API ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE", "TRACE", "BREW"])
def test_every_method_on_every_api_route(client, world, method):
    for route in api_routes(world):
        response = client.generic(method, route, b"{}", content_type="application/json")
        assert_api_answer(response, method=method)


NOT_OBJECTS = [
    b"",
    b"not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"42",
    b"null",
    b"true",
    b"{",
    b'{"email": "a@example.com"',
    b"\xff\xfe\x00garbage",
    b"\x00" * 64,
    b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's recursion limit
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"quantity": 1e400, "product": "foosfoot"}',
    b'{"quantity": NaN, "product": "foosfoot"}',
    b'{"quantity": Infinity, "product": "foosfoot"}',
    b'{"quantity": -Infinity}',
    ('{"quantity": ' + "9" * 5000 + ', "product": "foosfoot"}').encode(),  # int() digit limit
    json.dumps({"quantity": HUGE, "product": "foosfoot"}).encode(),
    json.dumps({"quantity": -HUGE, "product": "foosfoot"}).encode(),
    json.dumps({"quantity": 1.5, "product": "foosfoot"}).encode(),
    json.dumps({"quantity": "1" * 40, "product": "foosfoot"}).encode(),
    json.dumps({"quantity": [1], "product": ["foosfoot"]}).encode(),
    json.dumps({"quantity": {"a": 1}, "product": {"slug": "foosfoot"}}).encode(),
    json.dumps({"quantity": 1, "product": NUL}).encode(),
    json.dumps({"quantity": 1, "product": LONG}).encode(),
    json.dumps({"quantity": 1, "product": "foos" + NUL + "foot"}).encode(),
    json.dumps({"email": NUL + "@example.com"}).encode(),
    json.dumps({"email": "a@" + "x" * 300 + ".com"}).encode(),
    json.dumps({"email": LONG + "@example.com"}).encode(),
    json.dumps({"email": ["a@example.com"]}).encode(),
    json.dumps({"email": "a@example.com", "name": NUL * 10, "timezone": NUL, "send_hour": HUGE}).encode(),
    json.dumps({"email": "a@example.com", "timezone": LONG, "send_hour": "8" + NUL}).encode(),
    json.dumps({"email": "a@example.com", "timezone": "Europe/Berlin" + NUL, "send_hour": -HUGE}).encode(),
    json.dumps({"email": "a@example.com", "shipping_address": NUL, "name": {"x": [NUL]}}).encode(),
]

BODY_ROUTES = [
    ("POST", "/api/carts/"),
    ("POST", "/api/carts/{cart}/lines/"),
    ("PATCH", "/api/carts/{cart}/lines/{line}/"),
    ("DELETE", "/api/carts/{cart}/lines/{line}/"),
    ("POST", "/api/carts/{cart}/checkout/"),
    ("POST", "/api/programs/{program}/signup/"),
    ("POST", "/api/enrollments/{enrollment}/pause/"),
    ("POST", "/api/enrollments/{enrollment}/resume/"),
    ("POST", "/api/enrollments/{enrollment}/unsubscribe/"),
]


def _route(template: str, world) -> str:
    return template.format(
        cart=world["cart"].token,
        line=world["line"].pk,
        program=world["program"].slug,
        enrollment=world["enrollment"].token,
    )


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES)
def test_bodies_that_are_not_json_objects(client, world, method, template):
    route = _route(template, world)
    for body in NOT_OBJECTS:
        response = client.generic(method, route, body, content_type="application/json")
        answer = assert_api_answer(response, method=method)
        if answer is not None and body[:1] in (b"[", b"{") and response.status_code == 400:
            assert answer["code"] in ("malformed_request", "validation_error") or answer["code"], answer


WRONG_CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=nothing",
    "multipart/form-data",
    "application/json; charset=no-such-charset",
    "application/json; charset=utf-16",
    "application/octet-stream",
    "",
    "garbage/;;;==",
]


@pytest.mark.parametrize(("method", "template"), BODY_ROUTES)
def test_wrong_content_types(client, world, method, template):
    route = _route(template, world)
    for content_type in WRONG_CONTENT_TYPES:
        for body in (b'{"quantity": 1, "product": "foosfoot", "email": "a@example.com"}', b"quantity=1&product=x"):
            response = client.generic(method, route, body, content_type=content_type)
            assert_api_answer(response, method=method)


@pytest.mark.parametrize("segment", GARBAGE_SEGMENTS)
def test_garbage_slugs_and_tokens_in_api_paths(client, world, segment):
    templates = [
        "/api/products/{x}/",
        "/api/carts/{x}/",
        "/api/carts/{x}/lines/",
        "/api/carts/{x}/lines/1/",
        "/api/carts/{cart}/lines/{x}/",
        "/api/carts/{x}/checkout/",
        "/api/orders/{x}/",
        "/api/programs/{x}/signup/",
        "/api/enrollments/{x}/",
        "/api/enrollments/{x}/pause/",
        "/api/enrollments/{x}/resume/",
        "/api/enrollments/{x}/unsubscribe/",
        "/api/articles/{x}/",
        "/api/{x}/",
    ]
    for template in templates:
        path = template.format(x=segment, cart=world["cart"].token)
        for method in ("GET", "POST", "PATCH"):
            response = client.generic(method, path, b'{"email": "a@example.com"}', content_type="application/json")
            assert_api_answer(response, method=method)


def test_long_and_nul_tokens_in_api_paths(client, world):
    # The test client does not percent-encode: these reach the URL resolver as they are.
    for token in (
        NUL,
        "abc" + NUL * 3 + "defghijk",
        LONG,
        "é" * 200,
        "a b c d e f g h",
        "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    ):
        for template in ("/api/carts/{}/", "/api/orders/{}/", "/api/enrollments/{}/", "/api/programs/{}/signup/"):
            response = client.post(template.format(token), b"{}", content_type="application/json")
            assert_api_answer(response, method="POST")


@pytest.mark.parametrize("page", GARBAGE_PAGES)
def test_garbage_page_numbers_and_query_strings(client, world, page):
    for route in ("/api/products/", "/api/programs/", "/api/articles/", "/api/faqs/"):
        assert_api_answer(client.get(route, {"page": page}))
        assert_api_answer(client.get(route, {"page": page, "page_size": page, "limit": page, "offset": page}))
    for params in (
        {"search": NUL},
        {"search": LONG},
        {"search": "%" * 100},
        {"search": "'; DROP TABLE x; --"},
        {"tag": NUL},
        {"tag": LONG},
        {"tag": ["a", "b", "c"]},
        {"search": ["a", NUL]},
        {"ordering": "-nonexistent"},
        {"format": "xml"},
        {"format": "api"},
    ):
        assert_api_answer(client.get("/api/articles/", {**params, "page": page}))


def test_api_query_string_that_is_not_utf8(client, world):
    for route in ("/api/products/", "/api/articles/", f"/api/carts/{world['cart'].token}/"):
        response = client.get(route, QUERY_STRING="search=%ff%fe&page=%c3%28&tag=%00")
        assert_api_answer(response)


def test_api_headers_that_are_odd(client, world):
    route = f"/api/carts/{world['cart'].token}/lines/"
    body = json.dumps({"product": world["product"].slug, "quantity": 1})
    for headers in (
        {"HTTP_ACCEPT": "application/xml"},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_ACCEPT": "garbage;;q=abc"},
        {"HTTP_ACCEPT_LANGUAGE": "x" * 5000},
        {"HTTP_IF_NONE_MATCH": NUL},
        {"HTTP_IF_MODIFIED_SINCE": "yesterday"},
        {"HTTP_IDEMPOTENCY_KEY": LONG},
        {"HTTP_X_FORWARDED_FOR": "not-an-ip, " + NUL},
        {"HTTP_AUTHORIZATION": "Bearer " + LONG},
        {"HTTP_COOKIE": "sessionid=" + LONG + "; csrftoken=" + NUL},
    ):
        for method, path in (("POST", route), ("GET", "/api/products/"), ("GET", "/api/articles/")):
            response = client.generic(method, path, body, content_type="application/json", **headers)
            assert_api_answer(response, method=method)


# --- the Stripe webhook ----------------------------------------------------------------------------------------


def _signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def test_webhook_garbage_without_a_valid_signature(client, settings):
    bodies = [b"", b"garbage", b"{}", b"[]", b"\xff\xfe", b"\x00" * 100, b"[" * 100_000, b"x" * 600_000]
    signatures = [
        None,
        "",
        "garbage",
        "t=abc,v1=zz",
        "t=,v1=",
        "t=1,v1=" + "0" * 64,
        "t=" + "9" * 400 + ",v1=abc",
        NUL,
        "t=1," * 1000,
        _signature(b"something else", settings.STRIPE_WEBHOOK_SECRET),
        _signature(b"{}", settings.STRIPE_WEBHOOK_SECRET, timestamp=1),  # stale
    ]
    for body in bodies:
        for signature in signatures:
            headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
            for content_type in ("application/json", "text/plain"):
                response = client.post("/stripe/webhook/", body, content_type=content_type, **headers)
                assert response.status_code == 400, (body[:40], signature, response.content)
                assert response.json()["code"] and response.json()["message"]
    for method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS"):
        assert client.generic(method, "/stripe/webhook/").status_code == 405


def _post_signed(client, payload: bytes, secret: str):
    return client.post(
        "/stripe/webhook/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=_signature(payload, secret)
    )


def test_webhook_signed_bodies_that_are_not_events(client, settings, world):
    """Only Stripe can sign; still, a signed body that is not a sane event (not JSON, nested past the parser or
    past any real event, an id or type too long for its column) is a 400, and one carrying NUL characters, which
    PostgreSQL cannot store, is applied without them: never a 500."""
    order = world["order"]
    events = [
        b"not json",
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"id": "evt_deep", "type": "ping", "data": {"object": ' + b"[" * 950 + b"]" * 950 + b"}}",
        b'{"id": "evt_deeper", "type": "charge.refunded", "data": {"object": {"a": '
        + b'{"a": ' * 900
        + b"1"
        + b"}" * 902
        + b"}",
        b"[]",
        b"null",
        b'"evt"',
        b"{}",
        b'{"id": 1, "type": "checkout.session.completed", "data": {}}',
        b'{"id": "evt_1", "type": ["x"], "data": {}}',
        b'{"id": "evt_2", "type": "checkout.session.completed", "data": []}',
        b'{"id": "evt_3", "type": "checkout.session.completed", "data": {"object": "x"}}',
        b'{"id": "evt_4", "type": "checkout.session.completed", "data": {"object": []}}',
        b'{"id": "evt_5", "type": "charge.refunded", "data": {"object": {"payment_intent": ["x"]}}}',
        b'{"id": "evt_6", "type": "checkout.session.completed", "data": {"object": {"id": {"a": 1}}}}',
        json.dumps({"id": "evt_" + "x" * 5000, "type": "checkout.session.completed", "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_nul" + NUL, "type": "ping", "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_7", "type": "x" * 5000, "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_8", "type": "ping", "data": {"object": {"note": "nul" + NUL}}}).encode(),
        json.dumps(
            {
                "id": "evt_9",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": "cs_garbage" + NUL,
                        "client_reference_id": order.token,
                        "amount_total": "lots",
                        "currency": ["usd"],
                        "payment_status": {"paid": True},
                        "payment_intent": HUGE,
                        "customer_details": "me",
                    }
                },
            }
        ).encode(),
        json.dumps(
            {
                "id": "evt_10",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": order.checkout_session_id or "cs_test_x",
                        "client_reference_id": order.token,
                        "amount_total": HUGE,
                        "currency": "usd",
                        "payment_status": "paid",
                        "status": "complete",
                        "customer_details": {"email": NUL, "name": LONG, "address": [1, 2]},
                        "shipping_details": "nowhere",
                    }
                },
            }
        ).encode(),
        json.dumps(
            {
                "id": "evt_11",
                "type": "charge.refunded",
                "data": {"object": {"payment_intent": "pi_" + NUL, "amount_refunded": "all", "refunds": "x"}},
            }
        ).encode(),
    ]
    failures = []
    for payload in events:
        response = _post_signed(client, payload, settings.STRIPE_WEBHOOK_SECRET)
        if response.status_code >= 500:
            failures.append((payload[:100], response.status_code, response.content[:200]))
    assert not failures, failures


def test_webhook_signed_events_with_garbage_objects(client, settings, world):
    """A well-formed, signed event whose object has the wrong types (which Stripe never sends) either applies
    harmlessly or is the webhook's designed retryable failure: `processing_failed`, the event stored `failed`,
    nothing applied to the order. Never an unhandled error page."""
    from payments.models import StripeEvent
    from shop.models import Order

    order = world["order"]
    order.checkout_session_id, order.payment_intent_id = "cs_test_hostile", "pi_hostile"
    order.save(update_fields=["checkout_session_id", "payment_intent_id"])
    garbage_sessions = [
        {"id": "cs_test_hostile", "client_reference_id": order.token, "amount_total": "lots", "currency": ["usd"]},
        {"id": "cs_test_hostile", "payment_status": {"paid": True}, "customer_details": "me", "payment_intent": 7},
        {"id": "cs_test_hostile", "payment_status": "paid", "status": "complete", "amount_total": HUGE, "currency": 1},
        {"id": "cs_test_hostile", "payment_status": "paid", "amount_total": 5900, "currency": "usd", "metadata": 1},
        {
            "id": "cs_test_hostile",
            "payment_status": "paid",
            "status": "complete",
            "amount_total": -1,
            "currency": "usd",
            "customer_details": {"email": ["x"], "name": {"a": 1}, "address": "here"},
            "shipping_details": {"address": [1], "name": 3},
            "collected_information": "x",
        },
    ]
    garbage_charges = [
        {"payment_intent": "pi_hostile", "amount_refunded": "all", "refunds": "x", "currency": ["usd"]},
        {"payment_intent": "pi_hostile", "amount_refunded": HUGE, "amount": -5, "refunds": {"data": "x"}},
        {"payment_intent": {"id": "pi_hostile"}, "amount_refunded": 1.5, "refunds": {"data": [1, "x", None]}},
    ]
    events = [
        json.dumps({"id": f"evt_s{n}", "type": kind, "data": {"object": session}}).encode()
        for n, session in enumerate(garbage_sessions)
        for kind in (
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_failed",
            "checkout.session.expired",
        )
    ] + [
        json.dumps({"id": f"evt_c{n}", "type": "charge.refunded", "data": {"object": charge}}).encode()
        for n, charge in enumerate(garbage_charges)
    ]
    for payload in events:
        response = _post_signed(client, payload, settings.STRIPE_WEBHOOK_SECRET)
        if response.status_code >= 500:
            assert response.json()["code"] == "processing_failed", (payload[:100], response.content[:200])
            event_id = json.loads(payload)["id"]
            assert StripeEvent.objects.get(pk=event_id).state == StripeEvent.State.FAILED
            assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


# --- the HTML pages --------------------------------------------------------------------------------------------


def test_pages_with_garbage_paths(client, world):
    for segment in GARBAGE_SEGMENTS:
        for template in (
            "/shop/{}/",
            "/orders/{}/",
            "/programs/{}/",
            "/programs/{}/unsubscribe/",
            "/programs/confirm/{}/",
            "/blog/{}/",
            "/blog/tag/{}/",
            "/{}/",
        ):
            path = template.format(segment)
            for method in ("GET", "POST", "HEAD"):
                assert_page_answer(client.generic(method, path), f"{method} {path}")


def test_pages_with_nul_and_long_tokens(client, world):
    for token in (NUL, "abc" + NUL + "def" * 5, LONG, "é" * 300):
        for template in ("/programs/{}/", "/programs/{}/unsubscribe/", "/programs/confirm/{}/", "/orders/{}/"):
            path = template.format(token)
            for method in ("GET", "POST"):
                assert_page_answer(client.generic(method, path), f"{method} {path!r}"[:200])


@pytest.mark.parametrize("page", GARBAGE_PAGES)
def test_pages_with_garbage_query_strings(client, world, page):
    for path in ("/", "/blog/", "/blog/tag/foot-health/", "/faq/", "/cart/", "/sitemap.xml", "/blog/feed/"):
        assert_page_answer(client.get(path, {"page": page, "p": page}), f"{path}?page={page}")
    for params in (
        {"session_id": page},
        {"session_id": NUL},
        {"session_id": "cs_" + LONG},
        {"session_id": "cs_test_" + "a" * 60},
    ):
        assert_page_answer(client.get("/checkout/success/", params), f"success {params}"[:100])
    for params in ({"order": page}, {"order": NUL}, {"order": LONG}, {"order": world["order"].token}):
        assert_page_answer(client.get("/checkout/cancel/", params), f"cancel {params}"[:100])


def test_page_query_string_that_is_not_utf8(client, world):
    for path in ("/blog/", "/faq/", "/cart/", "/checkout/success/", "/checkout/cancel/"):
        assert_page_answer(client.get(path, QUERY_STRING="page=%ff&session_id=%c3%28&order=%00"), path)


def test_checkout_page_with_no_cart_and_garbage(client, world):
    for data in (
        {},
        {"email": ""},
        {"email": NUL},
        {"email": LONG},
        {"email": ["a@example.com", "b"]},
        {"email": "a@example.com"},
    ):
        response = client.post("/checkout/", data)
        assert_page_answer(response, f"checkout {data!r}"[:100])
        assert response.status_code in (200, 302, 303, 400)
    assert_page_answer(client.get("/checkout/"), "GET /checkout/")
    assert_page_answer(client.generic("PUT", "/checkout/"), "PUT /checkout/")


CART_FORMS = [
    {"line": "1", "action": "update", "quantity": "x"},
    {"line": "1", "action": "update", "quantity": str(HUGE)},
    {"line": "1", "action": "update", "quantity": "-1"},
    {"line": "1", "action": "update", "quantity": "1e5"},
    {"line": "1", "action": "update", "quantity": NUL},
    {"line": "1", "action": "update", "quantity": "9" * 5000},
    {"line": "x", "action": "update", "quantity": "1"},
    {"line": str(HUGE), "action": "update", "quantity": "1"},
    {"line": "-1", "action": "remove"},
    {"line": NUL, "action": NUL},
    {"line": "9" * 5000, "action": "remove"},
    {"action": "explode"},
    {},
]


def test_cart_page_with_garbage_forms(client, world):
    product = world["product"]
    # Without a cart, then with one (added through the product page) whose line id is real.
    for data in CART_FORMS:
        assert_page_answer(client.post("/cart/", data), f"cart {data!r}"[:100])
    for quantity in ("x", str(HUGE), "-1", "0", NUL, "9" * 5000, "", "1.5", "1"):
        response = client.post(f"/shop/{product.slug}/", {"quantity": quantity})
        assert_page_answer(response, f"product quantity {quantity!r}"[:100])
    from shop.carts import SESSION_KEY
    from shop.models import CartLine

    line = CartLine.objects.get(cart__pk=client.session[SESSION_KEY])
    for data in CART_FORMS:
        data = {**data, "line": str(line.pk)} if data.get("line") == "1" else data
        assert_page_answer(client.post("/cart/", data), f"cart {data!r}"[:100])
    for data in ({"email": NUL}, {"email": LONG}, {"email": "a@example.com"}):
        assert_page_answer(client.post("/checkout/", data), f"checkout {data!r}"[:100])


def test_programs_pages_with_garbage_forms(client, world):
    enrollment = world["enrollment"]
    for data in (
        {"action": "hour", "send_hour": "x"},
        {"action": "hour", "send_hour": str(HUGE)},
        {"action": "hour", "send_hour": "-1", "timezone": NUL},
        {"action": "hour", "send_hour": "8", "timezone": LONG},
        {"action": "hour", "send_hour": "8", "timezone": "../../etc/passwd"},
        {"action": NUL},
        {"action": "pause"},
        {"action": "pause"},
        {"action": "resume"},
        {"action": LONG},
        {},
    ):
        assert_page_answer(client.post(f"/programs/{enrollment.token}/", data), f"manage {data!r}"[:100])
    for data in ({}, {"List-Unsubscribe": "One-Click"}, {"x": NUL}):
        path = f"/programs/{enrollment.token}/unsubscribe/"
        assert_page_answer(client.post(path, data), f"unsubscribe {data!r}")
        assert_page_answer(client.get(path, {"x": NUL}), "unsubscribe GET")


def test_tracking_webhooks_with_garbage(client):
    for path in ("/anymail/", "/anymail/x/", "/anymail/x/tracking/", "/anymail/postmark/tracking/", "/anymail/" + NUL):
        for body in (b"", b"garbage", b"[]", b"{" * 10_000):
            response = client.post(path, body, content_type="application/json")
            assert response.status_code < 500, (path, body[:20], response.status_code)


# --- what Django refuses before any view ------------------------------------------------------------------------


def test_a_host_not_allowed_is_a_400_in_the_api_shape_and_a_page_elsewhere(client, world):
    for host in ("evil.example.com", "a" * 300, "[::1", "localhost:abc", NUL):
        response = client.get("/api/products/", HTTP_HOST=host)
        assert response.status_code == 400
        assert assert_api_answer(response)["code"] == "bad_request"
        assert_page_answer(client.get("/", HTTP_HOST=host), f"host {host!r}"[:60])


def test_too_many_form_fields_is_a_400(client, world):
    fields = "&".join(f"a{i}=1" for i in range(2000))
    response = client.post("/cart/", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert_page_answer(response, "many fields")
    route = f"/api/carts/{world['cart'].token}/lines/"
    assert_api_answer(client.post(route, fields, content_type="application/x-www-form-urlencoded"), method="POST")


@pytest.mark.parametrize(
    "cookie", [NUL * 10, "abcdefgh" + NUL, "x" * 5000, "é" * 40, "../../../../etc/passwd", "A" * 32]
)
def test_a_session_cookie_that_is_not_one_of_our_keys_is_no_session(client, world, cookie):
    client.cookies["sessionid"] = cookie
    for path in ("/", "/cart/", f"/shop/{world['product'].slug}/", "/faq/", "/blog/"):
        assert_page_answer(client.get(path), f"{path} with session cookie {cookie[:20]!r}")
    response = client.post(f"/shop/{world['product'].slug}/", {"quantity": "1"})
    assert response.status_code == 302  # added to a new cart, in a new session
    assert_api_answer(client.get("/api/products/"))


# --- the pages' forms, property-based ---------------------------------------------------------------------------

anything = st.one_of(
    st.text(max_size=300),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", NUL, LONG, str(HUGE), "-1", "0", "1e9", "08", "８", "١", " 1 ", "Europe/Berlin"]),
)


@hypothesis_settings(
    max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
@given(quantity=anything, line=anything, action=anything, email=anything, hour=anything, zone=anything)
def test_page_forms_take_any_text(client, world, quantity, line, action, email, hour, zone):
    product, enrollment = world["product"], world["enrollment"]
    posts = [
        (f"/shop/{product.slug}/", {"quantity": quantity}),
        ("/cart/", {"line": line, "action": action, "quantity": quantity}),
        ("/checkout/", {"email": email}),
        (f"/programs/{enrollment.token}/", {"action": action, "send_hour": hour, "timezone": zone}),
        (f"/programs/{enrollment.token}/", {"action": "hour", "send_hour": hour, "timezone": zone}),
    ]
    for path, data in posts:
        assert_page_answer(client.post(path, data), f"POST {path} {data!r}"[:300])
    for path in ("/blog/", "/faq/", "/checkout/success/", "/checkout/cancel/"):
        params = {"page": quantity, "session_id": email, "order": line}
        assert_page_answer(client.get(path, params), f"GET {path} {params!r}"[:300])


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "BREW"])
def test_every_method_on_every_page(client, world, method):
    enrollment, order = world["enrollment"].token, world["order"].token
    pages = [
        "/",
        f"/shop/{world['product'].slug}/",
        "/cart/",
        "/checkout/",
        "/checkout/success/",
        "/checkout/cancel/",
        f"/orders/{order}/",
        "/blog/",
        "/blog/weak-feet-and-back-pain/",
        "/blog/tag/foot-health/",
        "/blog/feed/",
        "/blog/feed/atom/",
        "/faq/",
        f"/programs/{enrollment}/",
        f"/programs/{enrollment}/unsubscribe/",
        "/programs/confirm/garbage/",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
        "/readyz",
        "/admin/",
        "/admin/login/",
        "/stripe/webhook/",
    ]
    for path in pages:
        response = client.generic(method, path, b"garbage=1&\x00", content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, f"{response.status_code} for {method} {path}"


def test_admin_changelists_change_pages_and_actions_with_garbage(client, world, admin_user):
    from django.contrib import admin
    from django.test import RequestFactory

    client.force_login(admin_user)
    garbage_params = [
        {"q": NUL},
        {"q": LONG},
        {"o": "abc"},
        {"o": "99.-1"},
        {"p": "x"},
        {"p": str(HUGE)},
        {"e": "1"},
        {"_to_field": NUL},
        {"status__exact": NUL},
        {"id__gt": "abc"},
        {"created_at__gte": "garbage"},
        {"pk__in": "1," + NUL},
    ]
    failures = []
    for model, model_admin in admin.site._registry.items():
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        # Actions on forged selections: not a key of this model, a NUL, a number past any id.
        listing = RequestFactory().get(changelist)
        listing.user = admin_user
        for action in [*model_admin.get_actions(listing), "no_such_action"]:
            for selected in ([NUL], ["abc"], [str(HUGE)], ["1", "x" * 300]):
                response = client.post(changelist, {"action": action, "_selected_action": selected, "index": "0"})
                if response.status_code >= 500:
                    failures.append((changelist, action, selected[-1][:10], response.status_code))
        for params in garbage_params:
            response = client.get(changelist, params)
            if response.status_code >= 500:
                failures.append((changelist, params, response.status_code))
        for path in (
            "\x00/change/",
            "abc/change/",
            f"{HUGE}/change/",
            "%00/change/",
            f"add/?_changelist_filters={NUL}",
        ):
            response = client.get(changelist + path)
            if response.status_code >= 500:
                failures.append((changelist + path, response.status_code))
    assert not failures, failures
