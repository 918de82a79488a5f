"""Pages are cached and revalidated by a content version: never stale after an edit; a change no signal sees
(a raw UPDATE, a scheduled time reached) shows within STOCK_SECONDS, the version's own cache."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import Article
from tests.factories import ArticleFactory, FaqCategoryFactory, FaqEntryFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/blog/", "/blog/tag/t/", "/faq/", "/blog/a/"])
def test_an_unchanged_page_costs_no_query_but_a_tags_row(client, url, django_assert_num_queries):
    tag = TagFactory(slug="t", name="T")
    article = ArticleFactory(slug="a", tags=[tag])
    FaqEntryFactory(articles=[article])
    first = client.get(url)
    # The tag's own row; the version is cached (at most STOCK_SECONDS old), the page under it.
    queries = 1 if "/tag/" in url else 0
    with django_assert_num_queries(queries):
        again = client.get(url)
    assert again.content == first.content


@pytest.mark.parametrize("change", ["new", "retitled", "unpublished", "deleted", "went_live", "tag_renamed"])
def test_blog_lists_follow_every_change(client, change, stock_seconds_pass):
    tag = TagFactory(slug="t", name="Old tag")
    article = ArticleFactory(slug="a", title="Old title", summary="Summary of A", tags=[tag])
    later = ArticleFactory(slug="later", title="Later one", tags=[tag], published_at=timezone.now() + timedelta(days=1))
    before = {url: client.get(url).content.decode() for url in ("/blog/", "/blog/tag/t/")}
    assert "Later one" not in before["/blog/"]

    expect_in, expect_out = None, None
    if change == "new":
        ArticleFactory(title="Brand new", tags=[tag])
        expect_in = "Brand new"
    elif change == "retitled":
        article.title = "New title"
        article.save()
        expect_in, expect_out = "New title", "Old title"
    elif change == "unpublished":
        article.status = Article.Status.DRAFT
        article.save()
        expect_out = "Old title"
    elif change == "deleted":
        article.delete()
        expect_out = "Old title"
    elif change == "went_live":
        Article.objects.filter(pk=later.pk).update(published_at=timezone.now() - timedelta(seconds=1))
        expect_in = "Later one"
        stock_seconds_pass()  # no signal: shows once the cached version is gone
    else:
        tag.name = "New tag"
        tag.save()
        expect_in, expect_out = "New tag", "Old tag"

    for url, old in before.items():
        html = client.get(url).content.decode()
        assert html != old, url
        if expect_in:
            assert expect_in in html, url
        if expect_out:
            assert expect_out not in html.split("<main", 1)[1], url


@pytest.mark.parametrize("change", ["edited", "hidden", "added", "deleted", "category_renamed"])
def test_faq_page_follows_every_change(client, change):
    category = FaqCategoryFactory(name="Old category")
    entry = FaqEntryFactory(category=category, question="Old question?")
    before = client.get("/faq/")
    if change == "edited":
        entry.question = "New question?"
        entry.save()
    elif change == "hidden":
        entry.is_published = False
        entry.save()
    elif change == "added":
        FaqEntryFactory(category=category, question="New question?")
    elif change == "deleted":
        entry.delete()
    else:
        category.name = "New category"
        category.save()
    after = client.get("/faq/", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after.content != before.content


def test_visitors_with_a_session_get_base_rendered_around_the_cached_article(client, django_user_model):
    ArticleFactory(slug="a", title="Cached article")
    anonymous = client.get("/blog/a/").content.decode()
    user = django_user_model.objects.create_user("reader", "r@example.com", "pw-reader-123")
    client.force_login(user)
    with_session = client.get("/blog/a/")
    assert with_session.status_code == 200
    assert "Cached article" in with_session.content.decode()
    assert with_session.content.decode() == anonymous  # base.html shows nothing per-user here


@pytest.mark.parametrize("url", ["/blog/a/", "/blog/", "/faq/"])
def test_pages_for_visitors_with_cookies_are_private(client, url):
    ArticleFactory(slug="a")
    FaqEntryFactory()
    assert "public" in client.get(url)["Cache-Control"]
    client.cookies["messages"] = "something"
    cache_control = client.get(url)["Cache-Control"]
    assert "private" in cache_control and "public" not in cache_control


@pytest.mark.parametrize("url", ["/api/articles/", "/api/articles/?tag=t&page=1", "/api/articles/a/", "/api/faqs/"])
def test_an_unchanged_api_answer_costs_one_query(api_client, url, django_assert_max_num_queries):
    tag = TagFactory(slug="t", name="T")
    article = ArticleFactory(slug="a", tags=[tag])
    FaqEntryFactory(articles=[article])
    first = api_client.get(url)
    with django_assert_max_num_queries(2 if "tag=" in url else 1):
        again = api_client.get(url)
    assert again.json() == first.json()


def test_api_answers_follow_edits(api_client, stock_seconds_pass):
    tag = TagFactory(slug="t", name="Old tag")
    article = ArticleFactory(slug="a", title="Old title", tags=[tag])
    entry = FaqEntryFactory(articles=[article], question="Old question?")
    urls = ["/api/articles/", "/api/articles/?tag=t", "/api/articles/a/", "/api/faqs/"]
    before = {url: api_client.get(url).json() for url in urls}
    tag.name = "New tag"
    tag.save()
    entry.question = "New question?"
    entry.save()
    after = {url: api_client.get(url).json() for url in urls}
    assert after["/api/articles/"]["results"][0]["tags"][0]["name"] == "New tag"
    assert after["/api/articles/?tag=t"]["results"][0]["tags"][0]["name"] == "New tag"
    assert after["/api/articles/a/"]["faq_entries"][0]["question"] == "New question?"
    assert after["/api/faqs/"][0]["entries"][0]["question"] == "New question?"
    assert all(before[url] != after[url] for url in urls)

    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)  # no signal
    stock_seconds_pass()
    assert api_client.get("/api/articles/").json()["count"] == 0
    assert api_client.get("/api/articles/a/").status_code == 404


def test_paginated_links_follow_the_host(api_client):
    for _ in range(21):
        ArticleFactory()
    assert api_client.get("/api/articles/").json()["next"].startswith("http://testserver/")
    other = api_client.get("/api/articles/", HTTP_HOST="localhost").json()
    assert other["next"].startswith("http://localhost/")
