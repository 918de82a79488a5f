"""Conditional GETs and a rendered-page cache for public pages, keyed by a content version.

A page decorated with `versioned_page(version_of)` costs, when nothing changed, at most the
one query `version_of` makes: a 304 if the client has it, else the cached HTML.
Any edit changes the version, hence the ETag and the cache key: nothing is served
stale, nothing needs purging. The footer's token (footer.py) is part of every key, since
the cached HTML carries the footer. The version itself is cached for at most STOCK_SECONDS
(`recent_version`), so a hit costs no query. The page is rendered once for everyone, with holes for a
visitor's cart badge and flash messages (shop.page_cache), filled per request: a visitor with a
session gets the cached page too, for the one more query of their session's row.
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
from shop.page_cache import STOCK_SECONDS, fill_visitor_bits, pages_generation, visitor_of

PAGE_CACHE_SECONDS = 24 * 3600
NOT_LIVE = "not-live"  # cached for "nothing live here" (a cached None would read as a miss)


def recent_version(name: str, compute: Callable[[], tuple | None]) -> tuple | None:
    """`compute()` (a content version: a query), cached for at most STOCK_SECONDS under the pages' generation,
    so a hit costs no query: a save of what a page shows moves the generation and shows at once; a change no
    signal sees (an article's scheduled time reached, a raw UPDATE) shows within STOCK_SECONDS."""
    # Hashed: a slug from the URL may be long or odd, and every cache backend takes a short hex key.
    key = f"content:version:{pages_generation()}:{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    version = cache.get(key)
    if version is None:
        version = compute()
        cache.set(key, NOT_LIVE if version is None else version, timeout=STOCK_SECONDS)
        return version
    return None if version == NOT_LIVE else version


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


def serve_shared(request, *, key: str, last_modified: int | None, render: Callable[[], HttpResponse]):
    """The page cached under `key` (rendered by `render` when missing, with shop.page_cache's
    SHARED_CONTEXT), with this visitor's bits; a 304 when the client has this very page."""
    visitor = visitor_of(request)
    # The visitor's badge is part of their copy; a page with messages to show is never a 304.
    validators = validators_for(request, key + visitor.etag_suffix, last_modified)
    if not visitor.messages:
        not_modified = get_conditional_response(
            request, etag=validators["ETag"], last_modified=last_modified, response=validators
        )
        if not_modified is not validators:
            return not_modified
    page = cache.get(f"content:page:{key}")
    if page is None:
        response = render()
        if response.status_code != 200:
            return response
        page = response.content
        cache.set(f"content:page:{key}", page, timeout=PAGE_CACHE_SECONDS)
    response = fill_visitor_bits(request, page, visitor)
    for header in ("ETag", "Last-Modified", "Cache-Control"):
        if header in validators:
            response[header] = validators[header]
    return response


def versioned_page(version_of: Callable[..., tuple]):
    """`version_of(request, *args, **kwargs)` returns what decides the page (may raise Http404).
    The view renders the page for everyone: its context includes shop.page_cache.SHARED_CONTEXT."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            version = version_of(request, *args, **kwargs)
            # Only ?page= changes these pages; other query strings must not multiply cache keys.
            # The footer's token too: the cached page carries the footer's list of site pages.
            # ETag only: no timestamp says when an article left a list, so no Last-Modified.
            key = version_key(request.path, request.GET.get("page", ""), version, footer_token())
            return serve_shared(request, key=key, last_modified=None, render=lambda: view(request, *args, **kwargs))

        return wrapped

    return decorator
