"""Staff write and publish in the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from content.models import Article, FaqEntry
from tests.factories import ArticleFactory, FaqCategoryFactory, FaqEntryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/content/article/",
        "/admin/content/article/add/",
        "/admin/content/article/?status__exact=draft&q=foot",
        "/admin/content/faqcategory/",
        "/admin/content/faqcategory/add/",
        "/admin/content/faqentry/",
        "/admin/content/tag/",
    ],
)
def test_admin_pages_load(staff_client, url):
    ArticleFactory()
    assert staff_client.get(url).status_code == 200


def test_change_page_has_preview_link_and_inlines(staff_client, draft_article):
    html = staff_client.get(f"/admin/content/article/{draft_article.pk}/change/").content.decode()
    assert 'href="/blog/draft-article/?preview=1"' in html
    assert "Preview (not public)" in html
    assert "further_reading-TOTAL_FORMS" in html
    assert "prepopulated_fields" in html or "data-prepopulated-field" in html or "prepopulate" in html


def test_staff_create_article_with_further_reading_in_admin(staff_client):
    response = staff_client.post(
        "/admin/content/article/add/",
        {
            "title": "Written in admin",
            "slug": "written-in-admin",
            "summary": "A summary.",
            "body_markdown": "Hello <script>alert(1)</script>",
            "status": "published",
            "published_at_0": "",
            "published_at_1": "",
            "further_reading-TOTAL_FORMS": "1",
            "further_reading-INITIAL_FORMS": "0",
            "further_reading-0-title": "A link",
            "further_reading-0-url": "https://example.org/",
            "further_reading-0-position": "1",
            "faq_links-TOTAL_FORMS": "0",
            "faq_links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(slug="written-in-admin")
    assert article.is_live and article.body_html == "<p>Hello </p>"
    assert [link.title for link in article.further_reading.all()] == ["A link"]


def test_bulk_publish_and_unpublish(staff_client, draft_article, live_article):
    scheduled = ArticleFactory(status="draft", published_at=timezone.now() + timedelta(days=1))
    response = staff_client.post(
        "/admin/content/article/",
        {"action": "publish", "_selected_action": [draft_article.pk, scheduled.pk]},
    )
    assert response.status_code == 302
    draft_article.refresh_from_db()
    scheduled.refresh_from_db()
    assert draft_article.is_live
    assert scheduled.status == "published" and not scheduled.is_live  # keeps its scheduled time

    staff_client.post("/admin/content/article/", {"action": "unpublish", "_selected_action": [live_article.pk]})
    live_article.refresh_from_db()
    assert live_article.status == "draft"


def test_faq_entries_are_edited_inline_in_order_under_their_category(staff_client):
    category = FaqCategoryFactory()
    FaqEntryFactory(category=category, question="Second?", position=2)
    FaqEntryFactory(category=category, question="First?", position=1)
    html = staff_client.get(f"/admin/content/faqcategory/{category.pk}/change/").content.decode()
    assert html.index("First?") < html.index("Second?")
    assert "entries-TOTAL_FORMS" in html


def test_faq_answer_is_rendered_on_save():
    entry = FaqEntryFactory(answer_markdown="Use it *daily*.")
    assert FaqEntry.objects.get(pk=entry.pk).answer_html == "<p>Use it <em>daily</em>.</p>"


@pytest.fixture
def content_viewer_client(client, django_user_model):
    """Staff who may look at articles in the admin, and change nothing."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw-viewer-123", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="content", codename__startswith="view_")
    )
    client.force_login(user)
    return client


def test_issue10_item1_view_only_staff_cannot_publish_or_unpublish(content_viewer_client, draft_article, live_article):
    assert content_viewer_client.get("/admin/content/article/").status_code == 200
    for action, article in (("publish", draft_article), ("unpublish", live_article)):
        content_viewer_client.post("/admin/content/article/", {"action": action, "_selected_action": [article.pk]})
    draft_article.refresh_from_db()
    live_article.refresh_from_db()
    assert (draft_article.status, live_article.status) == ("draft", "published")
    html = content_viewer_client.get("/admin/content/article/").content.decode()
    assert 'value="publish"' not in html and 'value="unpublish"' not in html


def test_issue10_item1_staff_who_may_change_articles_still_publish(client, django_user_model, draft_article):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("writer", "writer@example.com", "pw-writer-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_article", "change_article"]))
    client.force_login(user)
    client.post("/admin/content/article/", {"action": "publish", "_selected_action": [draft_article.pk]})
    draft_article.refresh_from_db()
    assert draft_article.is_live
