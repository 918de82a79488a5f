"""JSON-LD (BlogPosting, FAQPage), Open Graph and canonical links."""

import pytest

from content.templatetags.content_tags import json_ld
from tests.content.conftest import json_ld_blocks
from tests.factories import ArticleFactory, FaqEntryFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_article_json_ld_is_a_blog_posting_with_required_fields(client):
    article = ArticleFactory(
        slug="posting", author_name="Ada Author", hero_image="/static/img/hero.jpg", hero_alt="A foot on the FoosFoot"
    )
    article.tags.add(TagFactory(name="Posture"))
    html = client.get("/blog/posting/").content.decode()
    [posting] = [block for block in json_ld_blocks(html) if block["@type"] == "BlogPosting"]
    assert posting["@context"] == "https://schema.org"
    assert posting["headline"] == article.title
    assert posting["datePublished"] == article.published_at.isoformat()
    assert posting["dateModified"]
    assert posting["author"] == {"@type": "Person", "name": "Ada Author"}
    assert posting["image"] == ["http://testserver/static/img/hero.jpg"]
    assert posting["mainEntityOfPage"]["@id"] == "http://testserver/blog/posting/"
    assert posting["keywords"] == ["Posture"]


def test_article_with_faq_entries_has_a_faq_page(client):
    article = ArticleFactory(slug="with-faq")
    FaqEntryFactory(question="Does it help?", answer_markdown="Yes, **daily**.", articles=[article])
    FaqEntryFactory(question="Hidden?", is_published=False, articles=[article])
    html = client.get("/blog/with-faq/").content.decode()
    [faq] = [block for block in json_ld_blocks(html) if block["@type"] == "FAQPage"]
    assert faq["mainEntity"] == [
        {
            "@type": "Question",
            "name": "Does it help?",
            "acceptedAnswer": {"@type": "Answer", "text": "<p>Yes, <strong>daily</strong>.</p>"},
        }
    ]
    assert "Does it help?" in html and "Hidden?" not in html


def test_faq_page_json_ld_lists_every_published_question(client):
    first = FaqEntryFactory(question="First?")
    second = FaqEntryFactory(question="Second?")
    FaqEntryFactory(question="Draft?", is_published=False)
    html = client.get("/faq/").content.decode()
    [faq] = json_ld_blocks(html)
    assert faq["@type"] == "FAQPage"
    assert [q["name"] for q in faq["mainEntity"]] == [first.question, second.question]
    for question in faq["mainEntity"]:
        assert question["@type"] == "Question"
        assert question["acceptedAnswer"]["@type"] == "Answer"
        assert question["acceptedAnswer"]["text"]


def test_staff_text_cannot_close_the_json_ld_script(client):
    hostile = '</script><script>alert(1)</script> & <!-- "quoted"'
    ArticleFactory(slug="hostile-title", title=hostile, author_name=hostile, summary=hostile)
    FaqEntryFactory(question=hostile)
    for url in ("/blog/hostile-title/", "/faq/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html
        # Every JSON-LD block still parses and carries the text intact.
        assert any(hostile in str(block) for block in json_ld_blocks(html))


def test_json_ld_tag_escapes_angle_brackets_and_ampersands():
    out = json_ld({"name": "</script>&<b>"})
    assert out == '<script type="application/ld+json">{"name": "\\u003C/script\\u003E\\u0026\\u003Cb\\u003E"}</script>'
    assert json_ld(None) == ""


def test_article_page_has_open_graph_and_canonical(client, settings):
    ArticleFactory(slug="og", title="Open graph", seo_title="SEO title", seo_description="SEO description")
    html = client.get("/blog/og/").content.decode()
    assert '<link rel="canonical" href="http://testserver/blog/og/">' in html
    assert '<meta property="og:title" content="SEO title">' in html
    assert '<meta property="og:description" content="SEO description">' in html
    assert '<meta property="og:url" content="http://testserver/blog/og/">' in html
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="description" content="SEO description">' in html
    assert "<title>SEO title · Hod &amp; Hod</title>" in html


def test_explicit_canonical_url_wins(client):
    ArticleFactory(slug="syndicated", canonical_url="https://elsewhere.example/original")
    html = client.get("/blog/syndicated/").content.decode()
    assert '<link rel="canonical" href="https://elsewhere.example/original">' in html
