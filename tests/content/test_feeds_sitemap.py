"""RSS, Atom, sitemap and robots.txt."""

from collections import Counter
from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, FaqEntryFactory, TagFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def articles(db):
    tag = TagFactory(name="Back pain", slug="back-pain")
    now = timezone.now()
    return [
        ArticleFactory(slug="oldest", published_at=now - timedelta(days=3), tags=[tag]),
        ArticleFactory(slug="middle", published_at=now - timedelta(days=2)),
        ArticleFactory(slug="newest", published_at=now - timedelta(days=1), author_name="Ada Author"),
        ArticleFactory(slug="a-draft", status="draft", published_at=None),
        ArticleFactory(slug="in-future", published_at=now + timedelta(hours=1)),
    ]


@pytest.mark.parametrize("url,version_prefix", [("/blog/feed/", "rss"), ("/blog/feed/atom/", "atom")])
def test_feeds_parse_and_list_published_articles_newest_first(client, articles, url, version_prefix):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version.startswith(version_prefix)
    links = [entry.link for entry in feed.entries]
    assert links == [
        "http://testserver/blog/newest/",
        "http://testserver/blog/middle/",
        "http://testserver/blog/oldest/",
    ]
    newest = feed.entries[0]
    assert newest.title == articles[2].title
    assert newest.author == "Ada Author"
    assert newest.published_parsed is not None
    assert [t.term for t in feed.entries[2].tags] == ["Back pain"]


def test_sitemap_parses_and_lists_each_published_url_once(client, articles, product):
    from shop.models import Product

    Product.objects.create(name="Retired", slug="retired", sku="OLD-1", price="10.00", is_active=False)
    FaqEntryFactory()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    locs = [loc.text for loc in root.findall("sm:url/sm:loc", SITEMAP_NS)]
    assert Counter(locs).most_common(1)[0][1] == 1, "a URL is listed twice"
    assert set(locs) == {
        "http://testserver/",
        "http://testserver/blog/newest/",
        "http://testserver/blog/middle/",
        "http://testserver/blog/oldest/",
        "http://testserver/blog/",
        "http://testserver/faq/",
        "http://testserver/shop/foosfoot/",
    }
    lastmods = root.findall("sm:url/sm:lastmod", SITEMAP_NS)
    assert len(lastmods) >= 4


def test_robots_txt_names_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines
