"""django-anymail's provider webhooks (bounces, complaints → programs.receivers).

Mounted under /anymail/ only when ANYMAIL["WEBHOOK_SECRET"] is set: without it anyone
could post a fake bounce and silence a customer. A body the provider's parser cannot
read is a 400, never a 500.
"""

import logging

from anymail import urls as anymail_urls
from django.conf import settings
from django.http import HttpResponseBadRequest
from django.urls import URLPattern
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


def refuse_unreadable(view):
    @csrf_exempt
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
            logger.warning("unreadable %s webhook body: %s", request.path, type(error).__name__)
            return HttpResponseBadRequest("Unreadable webhook body.", content_type="text/plain")

    return guarded


def tracking_urlpatterns() -> list[URLPattern]:
    if not (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET"):
        return []
    return [
        URLPattern(pattern.pattern, refuse_unreadable(pattern.callback), pattern.default_args, pattern.name)
        for pattern in anymail_urls.urlpatterns
        if isinstance(pattern, URLPattern) and "tracking" in (pattern.name or "")
    ]
