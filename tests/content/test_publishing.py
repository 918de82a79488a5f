"""Drafts and scheduled articles stay out of every public surface; at
`published_at` they appear by themselves (the queryset filters by time)."""

from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from content.models import Article
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def public_surfaces(client) -> dict[str, str]:
    """What a visitor or crawler sees, as text, on each surface that lists articles."""
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own output
    rss = feedparser.parse(client.get("/blog/feed/").content)
    atom = feedparser.parse(client.get("/blog/feed/atom/").content)
    return {
        "blog": client.get("/blog/").content.decode(),
        "tag": client.get("/blog/tag/news/").content.decode(),
        "rss": " ".join(entry.link for entry in rss.entries),
        "atom": " ".join(entry.link for entry in atom.entries),
        "sitemap": " ".join(loc.text for loc in sitemap.findall(".//sm:loc", SITEMAP_NS)),
        "api": client.get("/api/articles/").content.decode(),
        "api_search": client.get("/api/articles/?search=article").content.decode(),
    }


def test_drafts_and_scheduled_articles_are_on_no_public_surface(client, live_article, draft_article, scheduled_article):
    news = TagFactory(name="News", slug="news")
    for article in (live_article, draft_article, scheduled_article):
        article.tags.add(news)

    for surface, text in public_surfaces(client).items():
        assert "live-article" in text, surface
        assert "draft-article" not in text, surface
        assert "scheduled-article" not in text, surface

    for slug in ("draft-article", "scheduled-article"):
        assert client.get(f"/blog/{slug}/").status_code == 404
        assert client.get(f"/api/articles/{slug}/").status_code == 404


def test_scheduled_article_appears_at_its_time_without_any_job(client, scheduled_article, stock_seconds_pass):
    assert client.get("/blog/scheduled-article/").status_code == 404

    # Time passes: the scheduled moment is now in the past. No task runs, no row changes state.
    Article.objects.filter(pk=scheduled_article.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    # The article page caches its version for at most STOCK_SECONDS: it shows within that of its time.
    stock_seconds_pass()

    assert client.get("/blog/scheduled-article/").status_code == 200
    assert client.get("/api/articles/scheduled-article/").status_code == 200
    for surface, text in public_surfaces(client).items():
        if surface != "tag":
            assert "scheduled-article" in text, surface


def test_published_queryset_filters_by_time_at_query_time(scheduled_article, draft_article):
    query = Article.objects.published()
    assert list(query) == []
    Article.objects.filter(pk=scheduled_article.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    assert list(Article.objects.published()) == [scheduled_article]


def test_staff_preview_of_a_draft_is_noindex(staff_client, draft_article):
    response = staff_client.get("/blog/draft-article/?preview=1")
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert "ETag" not in response
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Preview: this article is a draft" in html


def test_staff_preview_of_a_scheduled_article(staff_client, scheduled_article):
    response = staff_client.get("/blog/scheduled-article/")
    assert response.status_code == 200
    assert "scheduled for" in response.content.decode()


def test_non_staff_users_get_404_for_drafts(client, django_user_model, draft_article):
    user = django_user_model.objects.create_user("reader", "reader@example.com", "pw-reader-123")
    client.force_login(user)
    assert client.get("/blog/draft-article/?preview=1").status_code == 404


def staff_with(client, django_user_model, *codenames: str):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw-clerk-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="content", codename__in=codenames))
    client.force_login(user)
    return client


def test_issue10_item10_staff_without_view_article_cannot_preview_a_draft(
    client, django_user_model, draft_article, scheduled_article
):
    """Staff who look after orders, say, are not editors: a draft is as unknown to them as to the public."""
    clerk = staff_with(client, django_user_model, "view_faqentry", "change_faqentry")
    assert clerk.get("/blog/draft-article/?preview=1").status_code == 404
    assert clerk.get("/blog/scheduled-article/").status_code == 404


@pytest.mark.parametrize("codename", ["view_article", "change_article"])  # change implies view, as in the admin
def test_issue10_item10_staff_who_may_see_articles_preview_a_draft(client, django_user_model, draft_article, codename):
    editor = staff_with(client, django_user_model, codename)
    response = editor.get("/blog/draft-article/?preview=1")
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex")


def test_live_article_is_indexable(client, live_article):
    response = client.get("/blog/live-article/")
    assert "X-Robots-Tag" not in response
    assert 'name="robots"' not in response.content.decode()
