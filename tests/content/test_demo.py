"""The demo seed: the weak-feet article, its FAQ and links, the company FAQ; idempotent."""

import pytest

from content.demo import seed_demo
from content.models import Article, FaqCategory, FaqEntry, FurtherReading, SitePage, Tag
from tests.content.conftest import json_ld_blocks

pytestmark = pytest.mark.django_db


def test_seed_creates_the_article_faq_and_links_once(client, product):
    created = seed_demo()
    assert created
    counts = (Article.objects.count(), FaqEntry.objects.count(), FurtherReading.objects.count(), Tag.objects.count())
    assert seed_demo() == []
    again = (Article.objects.count(), FaqEntry.objects.count(), FurtherReading.objects.count(), Tag.objects.count())
    assert counts == again == (1, 8, 3, 3)

    article = Article.objects.get()
    assert article.is_live and article.featured_product == product
    for fact in ("L5 and S1", "26 bones and 33 joints", "more than 100 muscles", "4.5 times"):
        assert fact in article.body_markdown
    assert article.faq_entries.count() == 5

    company = FaqCategory.objects.get(slug="about-hod-and-hod")
    questions = list(company.entries.values_list("question", flat=True))
    assert questions == [
        "What does Hod & Hod do?",
        "Where can I buy the FoosFoot?",
        "Is the FoosFoot safe for seniors?",
    ]
    assert product.faq_entries.count() == 3

    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Further reading" in page.content.decode()
    [posting] = [b for b in json_ld_blocks(page.content.decode()) if b["@type"] == "BlogPosting"]
    assert posting["author"] == {"@type": "Organization", "name": "Hod & Hod"}
    assert client.get("/faq/").content.decode().count("<dt") == 8


def test_seed_without_products_still_works():
    seed_demo()
    assert Article.objects.get().featured_product is None


def test_seed_creates_the_site_pages_once_published_in_footer_order(client):
    seed_demo()
    assert seed_demo() == []
    pages = list(SitePage.objects.order_by("position"))
    assert [page.slug for page in pages] == ["shipping", "returns", "warranty", "contact", "privacy", "terms"]
    assert all(page.is_published and page.summary and page.body_html for page in pages)
    text = {page.slug: page.body_markdown for page in pages}
    for fact in (
        "United States, standard",
        "United States, express",
        "free on orders over 100 USD",
        "Canada, express",
        "European Union, standard",
    ):
        assert fact in text["shipping"], fact
    assert "30 days from delivery" in text["returns"]
    assert "two-year warranty" in text["warranty"]
    assert "support@hodhod.example" in text["contact"] and "Monday to Friday" in text["contact"]
    for fact in ("never reach our server", "7 years", "90 days", "ask us to erase them", "masked", "erase"):
        assert fact in text["privacy"], fact
    home = client.get("/").content.decode()
    for page in pages:
        assert f'href="/pages/{page.slug}/"' in home
        assert client.get(page.get_absolute_url()).status_code == 200
