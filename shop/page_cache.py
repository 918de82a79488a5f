"""Public pages rendered once for every visitor, with holes for what is one visitor's own.

A cached page is rendered with `SHARED_CONTEXT`: where base.html shows the cart badge and the
flash messages it leaves a marker, and `{% csrf_token %}` writes a marker for the token.
`fill_visitor_bits` puts this visitor's badge, messages and CSRF token in per request: a visitor
never sees another's cart or token, and a visitor with a cart is served from the cache too.

What it costs: nothing for a visitor without cookies; with a session, the session's row (one
query): the badge's count is kept in the session by the shop's views that change the session's
cart (`remember_cart_count`), so no cart query is needed.

Pages that show stock (home, product, the product API) are cached under `pages_generation()` for
at most `STOCK_SECONDS`: saving a model a public page shows (Product, and what content and
programs register through `show_on_pages`) moves the generation, so an edit shows at once
(in every process with CACHE_URL; with per-process memory, in the process that saved it, and in
the others within STOCK_SECONDS); a sale moves stock with an UPDATE, which no signal sees, so
stock shown is never more than STOCK_SECONDS old.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import parse_etags, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag
from rest_framework.renderers import JSONRenderer

from shop.carts import SESSION_KEY, cart_item_count, get_cart_for_session
from shop.models import Cart

STOCK_SECONDS = 5  # the README's promise: stock shown is never older than this
GENERATION_KEY = "pages:generation"
CART_COUNT_SESSION_KEY = "shop_cart_count"

# Markers: plain ASCII that escaping leaves alone and no content contains.
CSRF_HOLE = "hodhodcsrfholeQ7v2"
CART_HOLE = "<!--hodhod:cart-badge-->"
MESSAGES_HOLE = "<!--hodhod:messages-->"
SHARED_CONTEXT = {"csrf_token": CSRF_HOLE, "visitor_holes": True, "messages": (), "cart_item_count": 0}

_shown_models: set[str] = set()


def new_pages_generation() -> None:
    """Every stock page renders afresh from now on."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet, or evicted
        cache.set(GENERATION_KEY, time.time_ns(), timeout=None)


def bump_pages_generation(**kwargs) -> None:
    """Now (this transaction reads its own change) and after commit (another request may have
    cached the page from the rows as they were before the commit). A signal receiver."""
    new_pages_generation()
    transaction.on_commit(new_pages_generation)


def show_on_pages(*labels: str) -> None:
    """Models (`"app.Model"`) whose saves and deletes must show at once on the cached pages.
    Connected per model: a delete receiver on every model would stop Django's fast deletes."""
    for label in labels:
        for signal in (post_save, post_delete):
            signal.connect(bump_pages_generation, sender=label, weak=False, dispatch_uid=f"pages:{label}")
        _shown_models.add(label)


def pages_generation() -> int:
    """A number that changes whenever a model a public page shows is saved or deleted."""
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # Never a number used before (the key may have been evicted): the time in nanoseconds.
        cache.add(GENERATION_KEY, time.time_ns(), timeout=None)
        generation = cache.get(GENERATION_KEY, 0)
    return generation


@receiver(m2m_changed, dispatch_uid="shop.page_cache.linked")
def _shown_model_linked(sender, instance, action: str, **kwargs):
    if action.startswith("post_") and instance._meta.label in _shown_models:
        bump_pages_generation()


def remember_cart_count(request: HttpRequest, cart: Cart | None) -> None:
    """Keep the badge's count in the session; the shop's views call it whenever they touch its cart."""
    count = cart_item_count(cart) if cart is not None and cart.is_open else 0
    if request.session.get(CART_COUNT_SESSION_KEY, 0) != count:  # no session made for an empty cart
        request.session[CART_COUNT_SESSION_KEY] = count


def session_cart_count(request: HttpRequest) -> int:
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.session.get(SESSION_KEY):
        return 0
    count = request.session.get(CART_COUNT_SESSION_KEY)
    if count is None:  # a session older than the count it keeps: count once
        cart = get_cart_for_session(request)
        count = request.session[CART_COUNT_SESSION_KEY] = cart_item_count(cart) if cart else 0
    return count


@dataclass(frozen=True)
class Visitor:
    """What a cached page shows this visitor alone."""

    personal: bool  # a session or messages cookie: the page may not be shared
    cart_count: int
    messages: list

    @property
    def etag_suffix(self) -> str:
        return f"-c{self.cart_count}" if self.personal else ""


def visitor_of(request: HttpRequest) -> Visitor:
    cookies = request.COOKIES
    personal = settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies
    if not personal:
        return Visitor(personal=False, cart_count=0, messages=[])
    # Iterating marks them shown; the messages middleware then clears their cookie.
    return Visitor(personal=True, cart_count=session_cart_count(request), messages=list(get_messages(request)))


def fill_visitor_bits(request: HttpRequest, page: bytes, visitor: Visitor, status: int = 200) -> HttpResponse:
    """The shared page with this visitor's badge, messages and CSRF token in its holes."""
    badge = render_to_string("_cart_badge.html", {"cart_item_count": visitor.cart_count}) if visitor.cart_count else ""
    page = page.replace(CART_HOLE.encode(), badge.encode(), 1)
    shown = render_to_string("_messages.html", {"messages": visitor.messages}) if visitor.messages else ""
    page = page.replace(MESSAGES_HOLE.encode(), shown.encode(), 1)
    has_form = CSRF_HOLE.encode() in page
    if has_form:
        # get_token also makes the CSRF middleware set (or keep) this browser's CSRF cookie.
        page = page.replace(CSRF_HOLE.encode(), get_token(request).encode())
    response = HttpResponse(page, status=status)
    if visitor.personal or has_form:
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ("Cookie",))
    return response


def page_key(*parts) -> str:
    return "pages:" + hashlib.sha256(repr((*parts, settings.SITE_URL)).encode()).hexdigest()[:32]


def stock_page(request: HttpRequest, parts: tuple, render: Callable[[], HttpResponse]) -> HttpResponse:
    """A page showing stock: from the cache (rendered by `render` with SHARED_CONTEXT when missing)
    for at most STOCK_SECONDS, under the pages' generation; this visitor's bits filled in."""
    key = page_key(*parts, pages_generation())
    page = cache.get(key)
    if page is None:
        response = render()
        if response.status_code != 200:
            return response
        page = response.content
        cache.set(key, page, timeout=STOCK_SECONDS)
    return fill_visitor_bits(request, page, visitor_of(request))


def stock_answer(request: HttpRequest, parts: tuple, build: Callable[[], object]) -> HttpResponse:
    """The API's side of `stock_page`: the JSON of `build()` cached for at most STOCK_SECONDS under
    the pages' generation, rendered once. Its ETag is the body's own hash, so a 304 is never older
    than the body would be. Errors `build` raises are the API's to answer (nothing cached)."""
    # Paginated answers hold absolute next/previous links: the host is part of the key.
    key = page_key("api", request.build_absolute_uri(request.path), *parts, pages_generation())
    cached = cache.get(key)
    if cached is None:
        body = JSONRenderer().render(build())
        cached = (quote_etag(hashlib.sha256(body).hexdigest()[:32]), body)
        cache.set(key, cached, timeout=STOCK_SECONDS)
    etag, body = cached
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return HttpResponse(status=304, headers=headers)
    return HttpResponse(body, content_type="application/json", headers=headers)
