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
