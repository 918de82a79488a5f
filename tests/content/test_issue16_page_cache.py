"""Issue 16: the blog, an article, the FAQ and site pages come from their cached copy for
visitors with a cart too, each with their own badge and messages; a hit costs the version's query
(and the session's row)."""

import re

import pytest
from django.test import Client

from tests.factories import ArticleFactory, FaqEntryFactory, ProductFactory, SitePageFactory

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'class="cart-count">\((\d+)<')
URLS = ["/blog/", "/blog/a/", "/faq/", "/pages/shipping/"]


@pytest.fixture
def pages(db):
    ArticleFactory(slug="a", title="Strong feet")
    FaqEntryFactory(question="How long?")
    SitePageFactory(slug="shipping", title="Shipping", is_published=True)
    return ProductFactory(slug="foosfoot", name="FoosFoot", stock=10)


def badge_on(response) -> int | None:
    found = BADGE.search(response.content.decode())
    return int(found.group(1)) if found else None


def shopper_with(product, quantity: int) -> Client:
    browser = Client()
    assert browser.post(product.get_absolute_url(), {"quantity": quantity}).status_code == 302
    browser.get("/cart/")  # reads the "Added …" message
    return browser


@pytest.mark.parametrize("url", URLS)
def test_issue16_content_pages_show_each_visitor_their_own_badge(pages, url, django_assert_max_num_queries):
    two, one = shopper_with(pages, 2), shopper_with(pages, 1)
    anonymous = Client().get(url)  # renders and caches the page
    with django_assert_max_num_queries(1):  # the content version
        assert badge_on(Client().get(url)) is None
    with django_assert_max_num_queries(2):  # and the session's row
        mine = two.get(url)
    assert badge_on(mine) == 2 and badge_on(one.get(url)) == 1
    assert "private" in mine["Cache-Control"] and "public" in anonymous["Cache-Control"]


@pytest.mark.parametrize("url", URLS)
def test_issue16_a_browser_copy_is_not_revalidated_once_the_cart_changed(pages, url):
    shopper = shopper_with(pages, 1)
    first = shopper.get(url)
    assert shopper.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    shopper.post("/shop/foosfoot/", {"quantity": 2})
    shopper.get("/cart/")
    again = shopper.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200 and badge_on(again) == 3


@pytest.mark.parametrize("url", URLS)
def test_issue16_messages_on_a_cached_content_page_reach_their_owner_once(pages, url):
    owner = Client()
    Client().get(url)  # cached without messages
    owner.post("/shop/foosfoot/", {"quantity": 1})
    cached_etag = Client().get(url)["ETag"]
    shown = owner.get(url, headers={"If-None-Match": cached_etag})
    assert shown.status_code == 200 and "Added 1 × FoosFoot" in shown.content.decode()
    assert "Added 1 × FoosFoot" not in owner.get(url).content.decode()
