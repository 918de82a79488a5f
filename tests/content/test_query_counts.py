"""Lists and detail pages cost a fixed number of queries, whatever the volume."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.footer import forget_footer, site_page_links
from tests.factories import ArticleFactory, FaqCategoryFactory, FaqEntryFactory, FurtherReadingFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def warm_footer():
    """Every page shows the footer's site pages from the cache; warm it from this test's rows, so
    each count below is the page's own whatever ran before (the footer's single query on a cold
    cache is counted in test_site_pages.py)."""
    forget_footer()
    site_page_links()


URLS = [
    "/blog/",
    "/blog/tag/common/",
    "/blog/target/",
    "/faq/",
    "/blog/feed/",
    "/blog/feed/atom/",
    "/sitemap.xml",
    "/api/articles/",
    "/api/articles/?tag=common&search=article",
    "/api/articles/target/",
    "/api/faqs/",
]


def build(n: int, product) -> None:
    """n articles with 3 tags each; the target article with n FAQ entries and n links."""
    tags = [TagFactory(slug="common", name="Common"), TagFactory(), TagFactory()]
    articles = [ArticleFactory(tags=tags) for _ in range(n - 1)]
    target = ArticleFactory(slug="target", tags=tags, featured_product=product)
    categories = [FaqCategoryFactory() for _ in range(3)]
    for i in range(n):
        FurtherReadingFactory(article=target)
        FaqEntryFactory(articles=[target, *articles[:2]], products=[product], category=categories[i % 3])


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", URLS)
def test_query_count_is_the_same_with_3_and_50_articles(client, product, url, django_db_blocker):
    build(3, product)
    small = count_queries(client, url)
    from content.models import Article, FaqCategory, FaqEntry, FurtherReading, Tag

    FaqEntry.objects.all().delete()
    FaqCategory.objects.all().delete()
    FurtherReading.objects.all().delete()
    Article.objects.all().delete()
    Tag.objects.all().delete()
    build(50, product)
    large = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with 3 articles, {large} with 50"


@pytest.mark.parametrize(
    "url,limit",
    [("/blog/", 4), ("/blog/target/", 5), ("/faq/", 3), ("/api/articles/", 4), ("/api/faqs/", 3)],
)
def test_pages_stay_within_their_query_budget(client, product, url, limit, django_assert_max_num_queries):
    build(50, product)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_product_faq_tag_costs_one_query(product, django_assert_num_queries):
    from django.template import Context, Template

    for _ in range(5):
        FaqEntryFactory(products=[product])
    template = Template("{% load content_tags %}{% product_faq product %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"product": product}))
    assert html.count("<dt") == 5


def test_repeat_article_view_is_no_query_from_the_rendered_cache(client, product, django_assert_num_queries):
    build(50, product)
    first = client.get("/blog/target/").content
    with django_assert_num_queries(0):  # the page and its version both cached
        again = client.get("/blog/target/").content
    assert again == first
