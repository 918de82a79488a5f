from django.core.exceptions import BadRequest
from django.shortcuts import render


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


class AdminNulBytesMiddleware:
    """The admin passes URL parts straight into queries (list filters, `pk__in`, object ids in the path), and
    PostgreSQL refuses a NUL byte in text: a DataError 500. A NUL there is a 400 instead. (Our own pages and
    API check their inputs themselves; no real address contains a NUL.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/") and (
            "\x00" in request.path
            or any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
        ):
            raise BadRequest("A NUL byte in an admin address.")
        return self.get_response(request)
