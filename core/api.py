"""The one error shape of the JSON API, and its OpenAPI description.

Every 4xx answer of `/api/` is::

    {"code": "validation_error", "message": "A person-readable sentence.",
     "fields": {"quantity": ["Ensure this value is greater than or equal to 1."]}}

`fields` is present only for field errors. Services and views raise a
`core.errors.Refusal` (out of stock, empty cart, not found, …); DRF's own
exceptions and Django's `Http404` are translated here.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import Refusal

_DEFAULT_MESSAGES = {
    "not_found": "Nothing was found at this address.",
    "validation_error": "Some of the data sent is not valid.",
    "malformed_request": "The request body is not valid JSON.",
    "method_not_allowed": "This method is not allowed here.",
    "unsupported_media_type": "Send the body as application/json.",
    "permission_denied": "You are not allowed to do this.",
    "not_authenticated": "Log in first.",
    "throttled": "Too many requests; try again later.",
    "server_error": "Something went wrong on our side; it has been logged.",
    "bad_request": "The request could not be understood.",
}


def error_body(code: str, message: str | None = None, fields: dict | None = None) -> dict:
    body = {"code": code, "message": message or _DEFAULT_MESSAGES.get(code, code)}
    if fields:
        body["fields"] = fields
    return body


def _flatten(detail) -> object:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def _first_message(fields: dict) -> str:
    for name, errors in fields.items():
        while isinstance(errors, (list, dict)) and errors:
            errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
        if errors:
            prefix = "" if name == "non_field_errors" else f"{name}: "
            return f"{prefix}{errors}"
    return _DEFAULT_MESSAGES["validation_error"]


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, (exceptions.APIException, Refusal)):
        return None  # a real bug: Django's 500 handling (JSON for /api/, see server_error)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, Refusal):
        body = error_body(exc.code, exc.message, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = _flatten(detail)
        body = error_body("validation_error", _first_message(fields), fields)
    else:
        code = {
            exceptions.NotFound: "not_found",
            exceptions.ParseError: "malformed_request",
            exceptions.MethodNotAllowed: "method_not_allowed",
            exceptions.UnsupportedMediaType: "unsupported_media_type",
            exceptions.PermissionDenied: "permission_denied",
            exceptions.NotAuthenticated: "not_authenticated",
            exceptions.AuthenticationFailed: "not_authenticated",
            exceptions.Throttled: "throttled",
            exceptions.NotAcceptable: "not_acceptable",
        }.get(type(exc), str(exc.default_code))
        message = str(exc.detail) if not isinstance(exc, exceptions.ParseError) else None
        body = error_body(code, message)
    set_rollback()
    request = context.get("request")
    if request is not None:
        # Errors are JSON even where the view renders something else (the schema view's YAML/OpenAPI types).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    return Response(body, status=exc.status_code, headers=headers)


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found"), status=status.HTTP_404_NOT_FOUND)


def json_bad_request(request, exception=None):
    # Django's own 400s (a Host header not in ALLOWED_HOSTS, too many form fields) before DRF is reached.
    return JsonResponse(error_body("bad_request"), status=status.HTTP_400_BAD_REQUEST)


def json_permission_denied(request, exception=None):
    return JsonResponse(error_body("permission_denied"), status=status.HTTP_403_FORBIDDEN)


def json_server_error(request):
    return JsonResponse(error_body("server_error"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


class ErrorSerializer(serializers.Serializer):
    """The one error shape (OpenAPI component `Error`)."""

    code = serializers.CharField(help_text="Stable, machine-readable reason, e.g. `out_of_stock`.")
    message = serializers.CharField(help_text="A sentence a person understands.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Errors per input field, when the input was not valid.",
    )

    class Meta:
        ref_name = "Error"


_ERROR_DESCRIPTIONS = {
    400: "Invalid input (`validation_error`, `malformed_request`, or a domain code).",
    403: "Not allowed.",
    404: "Not found (`not_found`).",
    405: "Method not allowed.",
    409: "Conflict with the current state (e.g. `out_of_stock`).",
    415: "Body is not JSON.",
    429: "Throttled.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """`@extend_schema(responses={200: X, **error_responses(400, 404)})`."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(code, "Error.")) for code in statuses
    }


def document_page_not_found(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS): every paginated list documents the 404
    it answers for a page past the last one (`?page=99`), in the one error shape."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            parameters = operation.get("parameters", []) if isinstance(operation, dict) else []
            if any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
                operation["responses"].setdefault(
                    "404",
                    {
                        "description": "Not found (`not_found`): a page past the last one.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
