"""The admin's sign-in limit (django-axes, configured in settings): whose address an attempt is."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the nearest of NUM_PROXIES proxies saw (X-Forwarded-For counted from the right,
    as the API's throttles count it), else the connection's own. Entries to the left of those are
    whatever the client chose to send, so they never count."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if settings.NUM_PROXIES <= 0 or not forwarded:
        return remote
    return forwarded[-min(settings.NUM_PROXIES, len(forwarded))]
