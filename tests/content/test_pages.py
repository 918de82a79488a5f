"""/blog/, /blog/tag/<tag>/, /blog/<slug>/, /faq/ and the product-page FAQ."""

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from content.selectors import faq_entries_for_product
from tests.content.conftest import json_ld_blocks
from tests.factories import ArticleFactory, FaqCategoryFactory, FaqEntryFactory, FurtherReadingFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_blog_lists_published_articles_newest_first_paginated(client):
    now = timezone.now()
    for day in range(12):
        ArticleFactory(title=f"Day {day:02d}", published_at=now - timedelta(days=day + 1))
    first = client.get("/blog/").content.decode()
    assert first.index("Day 00") < first.index("Day 01") < first.index("Day 09")
    assert "Day 10" not in first and "Page 1 of 2" in first
    second = client.get("/blog/?page=2").content.decode()
    assert "Day 10" in second and "Day 11" in second and "Day 00" not in second
    assert '<link rel="canonical" href="http://testserver/blog/?page=2">' in second


@pytest.mark.parametrize("query", ["?page=3", "?page=0", "?page=abc", "?page=-1", "?page=9999999999999999999999"])
def test_bad_page_numbers_are_404_not_500(client, query):
    ArticleFactory()
    assert client.get(f"/blog/{query}").status_code == 404


def test_tag_page_lists_only_that_tag(client):
    tag = TagFactory(name="Posture", slug="posture")
    ArticleFactory(title="Tagged one", tags=[tag])
    ArticleFactory(title="Untagged one")
    html = client.get("/blog/tag/posture/").content.decode()
    assert "Tagged one" in html and "Untagged one" not in html
    assert "Articles tagged “Posture”" in html


@pytest.mark.parametrize("url", ["/blog/tag/no-such-tag/", "/blog/no-such-article/", "/blog/feed/nope/"])
def test_unknown_slug_or_tag_is_404(client, url):
    assert client.get(url).status_code == 404


def test_article_page_shows_body_tags_faq_further_reading_and_product_cta(client, product):
    tag = TagFactory(name="Back pain", slug="back-pain")
    article = ArticleFactory(
        slug="full",
        body_markdown="## A heading\n\nWords " * 300,
        tags=[tag],
        featured_product=product,
        hero_image="https://img.example/hero.jpg",
        hero_alt="A foot exercising",
    )
    FurtherReadingFactory(article=article, title="Read me second", position=2)
    FurtherReadingFactory(article=article, title="Read me first", position=1, url="https://ext.example/1")
    FaqEntryFactory(articles=[article], question="Is it good?")
    html = client.get("/blog/full/").content.decode()
    assert "<h2>A heading</h2>" in html
    assert '<a href="/blog/tag/back-pain/">Back pain</a>' in html
    assert html.index("Read me first") < html.index("Read me second")
    assert '<a href="https://ext.example/1" rel="noopener">Read me first</a>' in html
    assert "Is it good?" in html
    assert '<a class="button" href="/shop/foosfoot/">See the FoosFoot</a>' in html
    assert '<img class="article-hero" src="https://img.example/hero.jpg" alt="A foot exercising">' in html
    assert f"{article.reading_minutes} min read" in html and article.reading_minutes == 6
    assert 'href="/static/css/content.css"' in html or "content." in html


def test_inactive_featured_product_shows_no_call_to_action(client, product):
    product.is_active = False
    product.save()
    ArticleFactory(slug="no-cta", featured_product=product)
    assert 'class="product-cta"' not in client.get("/blog/no-cta/").content.decode()


def test_faq_page_groups_published_entries_by_category(client):
    company = FaqCategoryFactory(name="About us", slug="about", position=1)
    product_cat = FaqCategoryFactory(name="The device", slug="device", position=2)
    FaqCategoryFactory(name="Empty", slug="empty", position=3)
    FaqEntryFactory(category=product_cat, question="How to use it?", answer_markdown="Gently.")
    FaqEntryFactory(category=company, question="Who are you?", position=2)
    FaqEntryFactory(category=company, question="Where are you?", position=1)
    FaqEntryFactory(category=company, question="Secret?", is_published=False)
    response = client.get("/faq/")
    html = response.content.decode().split('<section class="faq"', 1)[1]
    assert response.status_code == 200
    assert html.index("About us") < html.index("Where are you?") < html.index("Who are you?")
    assert html.index("Who are you?") < html.index("The device") < html.index("How to use it?")
    assert "Secret?" not in html and "Empty" not in html
    assert ' id="about" aria-labelledby="about-heading">' in html


def test_product_faq_selector_and_inclusion_tag(product):
    from shop.models import Product

    other = Product.objects.create(name="Other", slug="other", sku="OT-1", price="5.00")
    mine = FaqEntryFactory(question="Fits big feet?", products=[product])
    FaqEntryFactory(question="Other product?", products=[other])
    FaqEntryFactory(question="Unpublished?", products=[product], is_published=False)
    assert faq_entries_for_product(product) == [mine]

    html = Template("{% load content_tags %}{% product_faq product %}").render(Context({"product": product}))
    assert "Fits big feet?" in html and "Other product?" not in html and "Unpublished?" not in html
    [faq] = json_ld_blocks(html)
    assert faq["mainEntity"][0]["name"] == "Fits big feet?"
    assert '<section class="faq faq-product" aria-labelledby="product-faq-heading">' in html

    empty = Template("{% load content_tags %}{% product_faq product %}").render(Context({"product": other}))
    assert "Other product?" in empty
    nothing = Template("{% load content_tags %}{% product_faq product %}").render(Context({"product": None}))
    assert nothing.strip() == ""


def test_pages_carry_no_inline_script_or_style(client, product):
    article = ArticleFactory(slug="csp", featured_product=product)
    FaqEntryFactory(articles=[article])
    for url in ("/blog/", "/blog/csp/", "/faq/"):
        html = client.get(url).content.decode()
        assert " style=" not in html
        for script in html.split("<script")[1:]:
            assert script.lstrip().startswith('type="application/ld+json"')


def test_slug_is_made_unique_from_the_title():
    first = ArticleFactory(title="Weak feet, bad back?", slug="")
    second = ArticleFactory(title="Weak feet, bad back?", slug="")
    feed = ArticleFactory(title="Feed", slug="")
    assert first.slug == "weak-feet-bad-back"
    assert second.slug == "weak-feet-bad-back-2"
    assert feed.slug == "feed-2"
