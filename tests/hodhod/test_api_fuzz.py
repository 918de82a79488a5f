"""Property-based fuzzing of the JSON API from its own OpenAPI schema (schemathesis).

The schema is the one `/api/schema/` serves, generated in process by drf-spectacular at collection
(no database needed then); requests go through the WSGI application in process, so every generated
request runs inside the test's database transaction. For every operation schemathesis
generates valid and invalid requests (wrong types, missing fields, out-of-range values, odd path
parameters, undocumented methods); the contract checked on each answer is the README's: never a 5xx,
and every 4xx of `/api/` is JSON `{"code": str, "message": str, "fields"?: {...}}`. Then the schema's
own word: the status code is one it documents, with its Content-Type and a body matching its schema.

Operations with path parameters are called twice per generated case: as generated, then with
real slugs and tokens (the demo seed plus a cart, an order and an enrollment made here), so the
fuzzed query and body also reach past the 404.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hodhod.wsgi import application as wsgi_application
from tests.hodhod.world import build_world

MAX_EXAMPLES = 25  # per operation and generation mode; the whole module stays well under a minute


def assert_contract(response) -> None:
    """No 5xx; a 4xx under /api/ is the one documented error shape."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url}"
    assert status < 500, f"{status} for {where}: {response.content[:500]!r}"
    if 400 <= status < 500:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/json"), f"{status} for {where} is {content_type}"

        body = json.loads(response.content)
        assert isinstance(body, dict), body
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("message"), str) and body["message"], body
        if "fields" in body:
            assert isinstance(body["fields"], dict), body


@pytest.fixture
def in_process_requests():
    """Requests go through the WSGI handler, not Django's test client: keep the handler from
    closing the test transaction's connection at the start and end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _known_values() -> dict[str, dict]:
    world = build_world(email="fuzz@example.com")
    return {
        "/api/products/": {"slug": world["product"].slug},
        "/api/articles/": {"slug": world["article"].slug},
        "/api/programs/": {"slug": world["program"].slug},
        "/api/carts/": {"token": world["cart"].token, "line_id": world["line"].pk},
        "/api/orders/": {"token": world["order"].token},
        "/api/enrollments/": {"token": world["enrollment"].token},
    }


def _load_schema():
    """The schema `/api/schema/` serves, generated in process (no request, no database)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = wsgi_application
    loaded.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )
    return loaded


schema = _load_schema()
KNOWN: dict[str, dict[str, str | int]] = {}  # operation path prefix → real path parameters, per test


def real_path_parameters(path: str) -> dict:
    for prefix, values in KNOWN.items():
        if path.startswith(prefix):
            return {name: value for name, value in values.items() if "{" + name + "}" in path}
    return {}


@pytest.fixture
def known_values(db, stripe_api, in_process_requests, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    # The throttles (signup, carts, checkout) would answer most fuzzed requests with 429 before reading them.
    for scope in list(ScopedRateThrottle.THROTTLE_RATES):
        monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, scope, "100000/minute")
    cache.clear()
    KNOWN.update(_known_values())
    yield KNOWN
    KNOWN.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_fails_and_refuses_in_the_one_shape(case, known_values):
    check(case)
    # Random identifiers mostly meet a 404 first; send the same query and body to real ones too.
    real = real_path_parameters(case.operation.path)
    if real and case.path_parameters:
        case.path_parameters = {**case.path_parameters, **real}
        check(case)


def check(case) -> None:
    """Our contract, then the schema's own word: the status is documented (405s of methods the schema does
    not list aside), the Content-Type is the documented one, the body matches the documented response."""
    response = case.call()
    assert_contract(response)
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )
