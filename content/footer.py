"""The footer's list of site pages (shipping, returns, contact, …), which every page shows.

Kept in the cache so that a page pays no query for it once the cache is warm. A save or
delete of a site page forgets it (signals.py); the versioned content pages put its token in
their own cache keys, so a cached article never shows an older footer than the one current in
its process. With the default per-process memory cache, a process other than the one that
saved sees the change when its copy expires: FOOTER_CACHE_SECONDS bounds that lag (a shared
cache, CACHE_URL, would remove it).
"""

import hashlib

from django.core.cache import cache
from django.db import DatabaseError, transaction

from content.selectors import footer_site_pages

FOOTER_KEY = "content:footer"
FOOTER_CACHE_SECONDS = 300


def site_page_links() -> tuple[str, tuple[tuple[str, str], ...]]:
    """`(token, ((title, url), …))`: the published site pages in footer order, and a token that
    changes with them. From the cache; one query when it is cold."""
    cached = cache.get(FOOTER_KEY)
    if cached is not None:
        return cached
    try:
        links = tuple(footer_site_pages())
    except DatabaseError:  # the 500 page renders the footer too, also when the database is down
        return ("", ())
    cached = (hashlib.sha256(repr(links).encode()).hexdigest()[:16], links)
    cache.set(FOOTER_KEY, cached, timeout=FOOTER_CACHE_SECONDS)
    return cached


def footer_token() -> str:
    return site_page_links()[0]


def forget_footer() -> None:
    """Drop the cached footer now (this transaction sees its own change) and again after commit
    (a request in another thread may have refilled it from the rows as they were before)."""
    cache.delete(FOOTER_KEY)
    transaction.on_commit(lambda: cache.delete(FOOTER_KEY))
