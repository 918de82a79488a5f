"""Fixed-window rate counters, for limits an app keeps per client address or per email address.

The approach of `shop/limits.py`, made generic so an app that may not import the shop (billing) counts the
same way: a client is its address as DRF's throttles see it (`REMOTE_ADDR`, or the `X-Forwarded-For` entry
that `NUM_PROXIES` names), kept only as a keyed hash; counters live in Django's cache, counted with
`cache.add` + `cache.incr`, which are atomic on a shared cache (Redis, Memcached), so a limit holds across
processes once the cache is shared.
"""

import math
import time

from django.core.cache import cache
from django.utils.crypto import salted_hmac
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The client's address as DRF's throttles identify it: with NUM_PROXIES set, the `X-Forwarded-For`
    entry that many proxies back; unset (no proxy), REMOTE_ADDR, never a client-written X-Forwarded-For."""
    if api_settings.NUM_PROXIES is None:
        return request.META.get("REMOTE_ADDR") or ""
    return BaseThrottle().get_ident(request) or ""


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed hash of `value` (an address, an email): enough to count by it, not to recover it."""
    return salted_hmac(f"core.ratelimits.{purpose}", value.strip().lower(), algorithm="sha256").hexdigest()[:32]


def take_hit(scope: str, key: str, *, allowed: float, per_seconds: int) -> int:
    """Count one hit of `key` in `scope`; 0 while at most `allowed` hits fell in the current window,
    else the seconds until the window ends (for Retry-After)."""
    now = time.time()
    window = int(now // per_seconds)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=per_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: this hit starts the count again
        cache.add(cache_key, 1, timeout=per_seconds + 5)
        count = 1
    if count <= allowed:
        return 0
    return max(1, math.ceil((window + 1) * per_seconds - now))


def in_minutes(seconds: int) -> str:
    """'a minute', '12 minutes': a wait as a sentence says it."""
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"
