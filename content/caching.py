"""Conditional GETs and a rendered-page cache for public pages, keyed by a content version.

A page decorated with `versioned_page(version_of)` costs, when nothing changed, the
one query `version_of` makes: a 304 if the client has it, else the cached HTML.
Any edit changes the version, hence the ETag and the cache key: nothing is served
stale, nothing needs purging. The footer's token (footer.py) is part of every key, since
the cached HTML carries the footer. Only requests without a session or messages cookie
get the cached page; base.html may show per-visitor things (flash messages) to others.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from content.footer import footer_token

PAGE_CACHE_SECONDS = 24 * 3600


def is_cookieless(request) -> bool:
    return not (settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES)


def validators_for(request, key: str, last_modified: int | None) -> HttpResponse:
    """An empty response carrying the ETag/Last-Modified/Cache-Control a page will answer with.

    A page for a visitor with cookies may carry their flash messages: only their browser
    may keep it (private); the cookie-less page is the same for everyone (public)."""
    validators = HttpResponse()
    validators["ETag"] = quote_etag(key)
    if last_modified is not None:
        validators["Last-Modified"] = http_date(last_modified)
    shared = {"public": True} if is_cookieless(request) else {"private": True}
    patch_cache_control(validators, max_age=0, must_revalidate=True, **shared)
    return validators


def version_key(*parts) -> str:
    return hashlib.sha256(repr((*parts, settings.SITE_URL)).encode()).hexdigest()[:32]


def versioned_page(version_of: Callable[..., tuple]):
    """`version_of(request, *args, **kwargs)` returns what decides the page (may raise Http404)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            version = version_of(request, *args, **kwargs)
            # Only ?page= changes these pages; other query strings must not multiply cache keys.
            # The footer's token too: the cached page carries the footer's list of site pages.
            key = version_key(request.path, request.GET.get("page", ""), version, footer_token())
            # ETag only: no timestamp says when an article left a list, so no Last-Modified.
            validators = validators_for(request, key, None)
            not_modified = get_conditional_response(request, etag=validators["ETag"], response=validators)
            if not_modified is not validators:
                return not_modified
            cookieless = is_cookieless(request)
            page = cache.get(f"content:page:{key}") if cookieless else None
            if page is not None:
                response = HttpResponse(page)
            else:
                response = view(request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                if cookieless:
                    cache.set(f"content:page:{key}", response.content, timeout=PAGE_CACHE_SECONDS)
            for header in ("ETag", "Last-Modified", "Cache-Control"):
                if header in validators:
                    response[header] = validators[header]
            return response

        return wrapped

    return decorator
