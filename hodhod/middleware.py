from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.shortcuts import render

from core.api import is_api_request, json_bad_request, json_not_found, json_permission_denied

_API_ERROR_ANSWERS = {400: json_bad_request, 403: json_permission_denied, 404: json_not_found}


class FriendlyMethodNotAllowedMiddleware:
    """Django answers a wrong method on a page with an empty 405; a person gets a page instead.
    (The API's 405 is already JSON in the error shape.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content and not request.path.startswith("/api/"):
            friendly = render(request, "405.html", status=405)
            friendly["Allow"] = response.get("Allow", "")
            return friendly
        return response


class ApiErrorShapeInDebugMiddleware:
    """With DEBUG on (`make run`), Django answers an address no route matches, or a Host it refuses, with its
    technical HTML page and never calls handler404/handler400: on /api/ the one JSON error shape instead, as
    with DEBUG off. (Pages keep Django's debug page.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        answer = _API_ERROR_ANSWERS.get(response.status_code)
        if (
            settings.DEBUG
            and answer is not None
            and is_api_request(request)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return answer(request)
        return response


class AdminBadInputMiddleware:
    """Input the admin passes straight into queries, refused as a 400 instead of a 500:
    - a NUL byte in an admin URL (list filters, `pk__in`, object ids): PostgreSQL refuses NUL in text;
    - an action's `_selected_action` that is not a primary key of the model (`abc` for an integer id): Django
      builds `pk__in` from it unchecked, a ValueError. Browsers only send the checkboxes' own values."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") and (
            "\x00" in request.path
            or any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
        ):
            raise BadRequest("A NUL byte in an admin address.")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set by ModelAdmin.get_urls on its views
        if model_admin is None or request.method != "POST" or ACTION_CHECKBOX_NAME not in request.POST:
            return None
        pk = model_admin.model._meta.pk
        for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
            try:
                if "\x00" in value:
                    raise ValidationError("NUL")
                pk.get_prep_value(pk.to_python(value))
            except (ValidationError, ValueError, TypeError) as exc:
                raise BadRequest("A selected object that cannot exist.") from exc
        return None
