"""Limits that keep one client from holding the stock or spending our Stripe calls (issue 10).

A client is its address as DRF's throttles see it (`REMOTE_ADDR`, or the `X-Forwarded-For` entry that
`NUM_PROXIES` names), kept only as a keyed hash. Rate counters live in Django's cache: fixed windows
counted with `cache.add` + `cache.incr`, which are atomic on a shared cache (Redis, Memcached), so
the limits hold across processes once the cache is shared.

Each limit is a setting, so a benchmark or a shop whose customers share one NAT address can lift it.
"""

import math
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac
from rest_framework.throttling import BaseThrottle

# name: (default, meaning). hodhod/settings.py may define them; until it does, the environment is read here.
LIMITS: dict[str, tuple[float, str]] = {
    "SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR": (20, "checkouts one client address may start in an hour"),
    "SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR": (10, "checkouts one email address may start in an hour"),
    "SHOP_MAX_RESERVED_UNITS": (10, "units of one product one client (or one email) may hold in open orders"),
    "SHOP_MAX_RESERVED_SHARE": (0.5, "share of a product's stock one client (or one email) may hold"),
    "SHOP_RESERVATION_MINUTES": (15, "how long an unpaid order holds its units before the shop expires it"),
    "SHOP_SUCCESS_LOOKUPS_PER_CLIENT_PER_MINUTE": (30, "Stripe look-ups the success page makes per client"),
}


def limit(name: str) -> float:
    """The setting `name` (see LIMITS), from Django's settings, else the environment, else its default."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return LIMITS[name][0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ImproperlyConfigured(f"{name} must not be negative")
    return number


def client_address(request) -> str:
    """The client's address exactly as DRF's throttles identify it (honouring NUM_PROXIES)."""
    return BaseThrottle().get_ident(request) or ""


def client_hash(request) -> str:
    """A keyed hash of the client's address: enough to count one client's orders, not to recover it."""
    return salted_hmac("shop.limits.client", client_address(request), algorithm="sha256").hexdigest()[:32]


def email_hash(email: str) -> str:
    return salted_hmac("shop.limits.email", email.strip().lower(), algorithm="sha256").hexdigest()[:32]


def take_hit(scope: str, key: str, *, allowed: float, per_seconds: int) -> int:
    """Count one hit of `key` in `scope`; 0 while at most `allowed` hits fell in the current window,
    else the seconds until the window ends (for Retry-After)."""
    now = time.time()
    window = int(now // per_seconds)
    cache_key = f"shop:limit:{scope}:{key}:{window}"
    cache.add(cache_key, 0, timeout=per_seconds + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr: this hit starts the count again
        cache.add(cache_key, 1, timeout=per_seconds + 5)
        count = 1
    if count <= allowed:
        return 0
    return max(1, math.ceil((window + 1) * per_seconds - now))
