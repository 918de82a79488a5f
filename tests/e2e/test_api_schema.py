"""The API's OpenAPI 3 document: valid, complete (every URL under /api/ is in it), and every
documented error answer uses the one error shape."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

NOT_IN_SCHEMA = {"/api/schema/", "/api/docs/"}  # the document and its viewer describe the API, they are not it
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _as_openapi_path(route: str) -> str:
    path = PARAMETER.sub(lambda m: "{" + (m.group(1) or m.group(2)) + "}", route)
    return "/" + path.replace("^", "").replace("$", "").replace("\\", "")


def api_url_patterns() -> set[str]:
    """Every URL pattern the project serves under /api/, as OpenAPI path templates."""
    found = set()

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.lstrip("^").startswith("api/"):
                if "(?P<format>" in route:  # DRF's `.json` suffix twins of the same endpoints
                    continue
                found.add(_as_openapi_path(route))

    walk(get_resolver().url_patterns, "")
    return found - NOT_IN_SCHEMA


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises with the first problem it finds


def test_every_api_url_is_documented(schema):
    patterns = api_url_patterns()
    assert "/api/products/" in patterns  # the walk found the API at all
    assert sorted(patterns - set(schema["paths"])) == []
    assert sorted(set(schema["paths"]) - patterns) == []


def test_every_operation_documents_its_answers_and_errors_in_the_one_shape(schema):
    error_ref = "#/components/schemas/Error"
    assert set(schema["components"]["schemas"]["Error"]["required"]) >= {"code", "message"}
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            answers = operation["responses"]
            if not any(code.startswith("2") for code in answers):
                problems.append(f"{method.upper()} {path}: no success answer")
            body = operation.get("requestBody", {}).get("content", {})
            if body and "application/json" not in body:
                problems.append(f"{method.upper()} {path}: request body is not JSON ({sorted(body)})")
            if "{" in path and "404" not in answers:
                problems.append(f"{method.upper()} {path}: 404 not documented")
            for code, answer in answers.items():
                if code.startswith("4"):
                    ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                    if ref != error_ref:
                        problems.append(f"{method.upper()} {path} {code}: not the Error shape ({ref})")
    assert problems == []


def test_docs_page_loads_swagger_ui_from_this_server(client):
    html = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle" in asset for asset in assets)
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), assets
    assert "<script>" not in html  # the start-up script is a file too (CSP: script-src 'self')
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
