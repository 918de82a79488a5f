"""Issue 16: the home and product pages come from one cached copy, with each visitor's own cart
badge, CSRF token and messages filled in; stock on them is at most 5 s old; an edit shows at once."""

import os
import re
import subprocess
import sys
import uuid

import pytest
from django.core.cache import cache
from django.test import Client

from shop.models import CartLine, Product
from shop.page_cache import CART_COUNT_SESSION_KEY, CART_HOLE, CSRF_HOLE, GENERATION_KEY, MESSAGES_HOLE, STOCK_SECONDS
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BADGE = re.compile(r'class="cart-count">\((\d+)<')
PAGES = ["/", "/shop/foosfoot/"]


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Both caches the project runs on: per-process memory, and Redis (CACHE_URL), here with a
    key prefix of this test's own on the suite's Redis database."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
                "KEY_PREFIX": f"issue16-{uuid.uuid4().hex}",
            }
        }
    yield request.param
    cache.delete(GENERATION_KEY)


@pytest.fixture
def foosfoot(cache_backend):
    return ProductFactory(slug="foosfoot", name="FoosFoot", stock=10)


def token_on(html: str) -> str:
    return TOKEN.search(html).group(1)


def badge_on(html: str) -> int | None:
    found = BADGE.search(html)
    return int(found.group(1)) if found else None


def without_badge_and_token(html: str) -> str:
    return TOKEN.sub("", re.sub(r' <span class="cart-count">.*?</span>\)</span>', "", html))


def shopper_with(product: Product, quantity: int, *, csrf_checks: bool = True) -> Client:
    """A browser that put `quantity` in its cart through the product page's form (CSRF checked)."""
    browser = Client(enforce_csrf_checks=csrf_checks)
    page = browser.get(product.get_absolute_url()).content.decode()
    added = browser.post(product.get_absolute_url(), {"quantity": quantity, "csrfmiddlewaretoken": token_on(page)})
    assert added.status_code == 302, added.content[:300]
    browser.get("/cart/")  # reads the "Added …" message
    return browser


def test_issue16_visitors_share_one_cached_page_each_with_their_own_badge_and_token(foosfoot):
    two, one, anonymous = shopper_with(foosfoot, 2), shopper_with(foosfoot, 1), Client(enforce_csrf_checks=True)
    anonymous.get("/shop/foosfoot/")  # fills the cache as a visitor without a cart
    for url in PAGES:
        pages = {name: browser.get(url) for name, browser in [("two", two), ("one", one), ("none", anonymous)]}
        html = {name: response.content.decode() for name, response in pages.items()}
        assert badge_on(html["two"]) == 2, url
        assert badge_on(html["one"]) == 1, url
        assert badge_on(html["none"]) is None, url
        for page in html.values():
            assert CSRF_HOLE not in page and CART_HOLE not in page and MESSAGES_HOLE not in page
        # One copy: what differs is the badge and the token only.
        assert without_badge_and_token(html["two"]) == without_badge_and_token(html["none"])
        # A page with a visitor's cart or CSRF token is theirs: no shared cache may keep it.
        for name, response in pages.items():
            if name != "none" or url != "/":
                assert "private" in response["Cache-Control"], (name, url)
    tokens = {name: token_on(browser.get("/shop/foosfoot/").content.decode()) for name, browser in
              [("two", two), ("one", one), ("none", anonymous)]}  # fmt: skip
    assert len(set(tokens.values())) == 3
    # Each token works for its own browser (a POST with it adds to that browser's cart) …
    for name, browser in [("two", two), ("one", one), ("none", anonymous)]:
        added = browser.post("/shop/foosfoot/", {"quantity": 1, "csrfmiddlewaretoken": tokens[name]})
        assert added.status_code == 302, name
    assert [badge_on(browser.get("/").content.decode()) for browser in (two, one, anonymous)] == [3, 2, 1]
    # … and another browser's token is refused: a page never carries someone else's.
    refused = two.post("/shop/foosfoot/", {"quantity": 1, "csrfmiddlewaretoken": tokens["one"]})
    assert refused.status_code == 403


def test_issue16_a_cache_hit_costs_no_query_without_a_session_and_one_with(foosfoot, django_assert_num_queries):
    shopper = shopper_with(foosfoot, 2)
    for url in PAGES:
        Client().get(url)  # warm
        with django_assert_num_queries(0):
            assert Client().get(url).status_code == 200
        with django_assert_num_queries(1):  # the session's row; the badge's count is kept in it
            assert badge_on(shopper.get(url).content.decode()) == 2


def test_issue16_stock_shows_within_five_seconds(foosfoot, cache_backend, stock_seconds_pass):
    assert STOCK_SECONDS <= 5
    assert "In stock" in Client().get("/shop/foosfoot/").content.decode()
    Product.objects.filter(pk=foosfoot.pk).update(stock=3)  # a sale: an UPDATE, no signal
    if cache_backend == "redis":
        raw = cache._cache.get_client()
        keys = raw.keys(f"{cache.key_prefix}*pages:*")
        assert keys and all(0 < raw.ttl(key) <= STOCK_SECONDS for key in keys if b"generation" not in key)
        raw.delete(*[key for key in keys if b"generation" not in key])  # as Redis does after the TTL
    else:
        assert "In stock" in Client().get("/shop/foosfoot/").content.decode()  # still the cached copy
        stock_seconds_pass()
    product_page, home = (Client().get(url).content.decode() for url in ("/shop/foosfoot/", "/"))
    assert "Low stock: only 3 left" in product_page
    assert "Only 3 left" in home


def test_issue16_a_catalog_edit_shows_at_once(foosfoot):
    for url in PAGES:
        assert "FoosFoot" in Client().get(url).content.decode()
    foosfoot.name = "FoosFoot Pro"
    foosfoot.save()
    for url in PAGES:
        assert "FoosFoot Pro" in Client().get(url).content.decode(), url
    foosfoot.is_active = False
    foosfoot.save()
    assert Client().get("/shop/foosfoot/").status_code == 404


def test_issue16_messages_show_to_their_owner_only(foosfoot):
    owner, other = Client(), shopper_with(foosfoot, 1)
    assert owner.post("/shop/foosfoot/", {"quantity": 2}).status_code == 302
    assert "Added 2 × FoosFoot" in owner.get("/").content.decode()
    assert "Added 2 × FoosFoot" not in other.get("/").content.decode()
    assert "Added 2 × FoosFoot" not in Client().get("/").content.decode()
    assert "Added 2 × FoosFoot" not in owner.get("/").content.decode()  # shown once


def test_issue16_the_badge_follows_the_cart_through_checkout_pages(foosfoot):
    shopper = shopper_with(foosfoot, 2, csrf_checks=False)
    line = CartLine.objects.get(product=foosfoot)
    shopper.post("/cart/", {"line": line.pk, "action": "update", "quantity": 4}, follow=True)
    assert badge_on(shopper.get("/").content.decode()) == 4
    shopper.post("/cart/", {"line": line.pk, "action": "remove"}, follow=True)
    assert badge_on(shopper.get("/shop/foosfoot/").content.decode()) is None


def test_issue16_a_refused_quantity_is_shown_to_that_visitor_with_their_form(foosfoot):
    shopper = shopper_with(foosfoot, 2, csrf_checks=False)
    refused = shopper.post("/shop/foosfoot/", {"quantity": 50})
    html = refused.content.decode()
    assert refused.status_code == 200 and 'aria-invalid="true"' in html and badge_on(html) == 2
    assert 'aria-invalid="true"' not in Client().get("/shop/foosfoot/").content.decode()


def test_issue16_browsing_without_a_cart_makes_no_session(foosfoot):
    browser = Client()
    for url in [*PAGES, "/cart/", "/blog/", "/faq/"]:
        browser.get(url)
    assert "sessionid" not in browser.cookies


def test_issue16_a_session_from_before_the_kept_count_is_counted_once(foosfoot, django_assert_num_queries):
    shopper = shopper_with(foosfoot, 2, csrf_checks=False)
    session = shopper.session
    del session[CART_COUNT_SESSION_KEY]
    session.save()
    assert badge_on(shopper.get("/").content.decode()) == 2  # counted from the cart, kept in the session
    with django_assert_num_queries(1):
        assert badge_on(shopper.get("/shop/foosfoot/").content.decode()) == 2


def test_issue16_every_process_knows_the_models_public_pages_show():
    """A worker or a management command never imports the URLconf: the models whose saves start a new page
    generation are known once Django is set up, not once the views are imported."""
    script = (
        "import django; django.setup(); import sys; from shop.page_cache import _shown_models; "
        "print(sorted(_shown_models)); print('hodhod.urls' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hodhod.settings"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    shown, urls_imported = result.stdout.strip().splitlines()[-2:]
    assert urls_imported == "False"
    for label in ("shop.Product", "programs.Program", "programs.Step", "content.Article", "content.SitePage"):
        assert repr(label) in shown
