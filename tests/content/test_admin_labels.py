"""Issue 11, item 12: the admin names the FAQ entry ↔ article link in words staff read, never
"FaqEntry_articles object (1)"."""

import pytest

from content.models import FaqEntryArticle
from tests.factories import ArticleFactory, FaqEntryFactory

pytestmark = pytest.mark.django_db

LABEL = "FAQ entry: How often should I train? ↔ Article: Why feet matter"


@pytest.fixture
def linked():
    article = ArticleFactory(title="Why feet matter", slug="why-feet-matter")
    entry = FaqEntryFactory(question="How often should I train?", articles=[article])
    return article, entry


def test_the_link_has_a_human_name(linked):
    link = FaqEntryArticle.objects.get()
    assert str(link) == LABEL
    assert FaqEntryArticle._meta.verbose_name == "FAQ entry shown in an article"
    assert FaqEntryArticle._meta.get_field("faqentry").verbose_name == "FAQ entry"


def test_the_article_page_in_the_admin_names_its_faq_entries(staff_client, linked):
    article, _ = linked
    html = staff_client.get(f"/admin/content/article/{article.pk}/change/").content.decode()
    assert "FAQ entries shown in this article" in html
    assert LABEL in html
    assert "object (" not in html


def test_the_faq_entry_page_in_the_admin_names_its_articles(staff_client, linked):
    _, entry = linked
    html = staff_client.get(f"/admin/content/faqentry/{entry.pk}/change/").content.decode()
    assert "Articles showing this FAQ entry" in html
    assert LABEL in html
    assert "object (" not in html


def test_deleting_an_article_lists_the_links_by_name(staff_client, linked):
    article, _ = linked
    html = staff_client.get(f"/admin/content/article/{article.pk}/delete/").content.decode()
    assert f"<li>FAQ entry shown in an article: {LABEL}</li>" in html
    assert "FaqEntry_articles" not in html


def test_linking_an_article_from_the_faq_entry_page_moves_the_article(staff_client, client, linked):
    """The inline saves link rows one by one (no m2m_changed): the article page must still change."""
    article, entry = linked
    other = ArticleFactory(title="Another article", slug="another")
    assert "How often should I train?" not in client.get("/blog/another/").content.decode()
    response = staff_client.post(
        f"/admin/content/faqentry/{entry.pk}/change/",
        {
            "category": entry.category_id,
            "position": entry.position,
            "question": entry.question,
            "answer_markdown": entry.answer_markdown,
            "is_published": "on",
            "article_links-TOTAL_FORMS": "2",
            "article_links-INITIAL_FORMS": "1",
            "article_links-0-id": FaqEntryArticle.objects.get().pk,
            "article_links-0-faqentry": entry.pk,
            "article_links-0-article": article.pk,
            "article_links-1-faqentry": entry.pk,
            "article_links-1-article": other.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(entry.articles.values_list("slug", flat=True)) == {"why-feet-matter", "another"}
    assert "How often should I train?" in client.get("/blog/another/").content.decode()
