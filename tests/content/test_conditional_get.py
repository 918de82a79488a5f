"""ETag / Last-Modified and 304 answers on article pages and the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import Article
from tests.factories import ArticleFactory, FaqEntryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/blog/cond/", "/api/articles/cond/", "/api/articles/", "/api/faqs/", "/blog/", "/faq/"]
)
def test_repeated_get_with_if_none_match_answers_304(client, url):
    article = ArticleFactory(slug="cond")
    FaqEntryFactory(articles=[article])
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_article_page_etag_changes_when_the_article_or_its_faq_changes(client):
    article = ArticleFactory(slug="cond")
    entry = FaqEntryFactory(articles=[article])
    etag = client.get("/blog/cond/")["ETag"]

    article.title = "A new title"
    article.save()
    response = client.get("/blog/cond/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "A new title" in response.content.decode()
    etag = response["ETag"]

    entry.question = "A changed question?"
    entry.save()
    response = client.get("/blog/cond/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "A changed question?" in response.content.decode()


def test_article_page_answers_if_modified_since(client):
    ArticleFactory(slug="cond")
    first = client.get("/blog/cond/")
    assert first["Last-Modified"]
    again = client.get("/blog/cond/", headers={"If-Modified-Since": first["Last-Modified"]})
    assert again.status_code == 304


def test_unpublished_article_does_not_answer_304(client):
    article = ArticleFactory(slug="cond")
    etag = client.get("/blog/cond/")["ETag"]
    article.status = Article.Status.DRAFT
    article.save()  # as the admin does: shows at once
    assert client.get("/blog/cond/", headers={"If-None-Match": etag}).status_code == 404


def test_issue16_an_article_unpublished_without_a_save_is_gone_within_the_stated_staleness(client, stock_seconds_pass):
    """The article's version is cached for at most STOCK_SECONDS (no query on a hit); a change no signal sees
    (a raw UPDATE, or a scheduled article reaching its time) shows once that has passed."""
    article = ArticleFactory(slug="cond")
    etag = client.get("/blog/cond/")["ETag"]
    Article.objects.filter(pk=article.pk).update(status=Article.Status.DRAFT)
    assert client.get("/blog/cond/", headers={"If-None-Match": etag}).status_code == 304  # younger than 5 s
    stock_seconds_pass()
    assert client.get("/blog/cond/", headers={"If-None-Match": etag}).status_code == 404


def test_issue16_a_scheduled_article_goes_live_within_the_stated_staleness(client, stock_seconds_pass):
    article = ArticleFactory(slug="soon", published_at=timezone.now() + timedelta(seconds=2))
    assert client.get("/blog/soon/").status_code == 404
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(seconds=1))  # its time
    stock_seconds_pass()
    assert client.get("/blog/soon/").status_code == 200


@pytest.mark.parametrize(
    "change",
    ["link_title", "link_deleted", "faq_detached", "faq_attached", "tag_renamed", "tag_removed", "product_renamed"],
)
def test_article_page_never_serves_stale_after_related_edits(client, product, change):
    """The page is cached and revalidated by the article row; edits elsewhere must move it."""
    from tests.factories import FaqEntryFactory, FurtherReadingFactory, TagFactory

    tag = TagFactory(name="Old tag name")
    article = ArticleFactory(slug="cond", tags=[tag], featured_product=product)
    link = FurtherReadingFactory(article=article, title="Old link title")
    entry = FaqEntryFactory(articles=[article], question="Old question?")
    spare = FaqEntryFactory(question="New question?")
    first = client.get("/blog/cond/")
    etag, before = first["ETag"], first.content.decode()

    if change == "link_title":
        link.title = "New link title"
        link.save()
        expected = "New link title"
    elif change == "link_deleted":
        link.delete()
        expected = None
    elif change == "faq_detached":
        entry.articles.remove(article)
        expected = None
    elif change == "faq_attached":
        article.faq_entries.add(spare)
        expected = "New question?"
    elif change == "tag_renamed":
        tag.name = "New tag name"
        tag.save()
        expected = "New tag name"
    elif change == "tag_removed":
        article.tags.clear()
        expected = None
    else:
        product.name = "FoosFoot Pro"
        product.save()
        expected = "FoosFoot Pro"

    response = client.get("/blog/cond/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    html = response.content.decode()
    assert html != before
    if expected:
        assert expected in html
