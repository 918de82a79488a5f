"""Hostile Markdown is rendered once, at save, into harmless HTML."""

import re

import pytest

from content.rendering import render_markdown
from tests.factories import ArticleFactory, FaqEntryFactory

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<body onload="alert(1)">',
    '<details open ontoggle="alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>body{display:none}</style>",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<<script>script>alert(1)<</script>/script>",
    '<input autofocus onfocus="alert(1)">',
    "<base href='javascript:alert(1)//'>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<img src=x onerror=alert(1)>-->",
]

EXECUTABLE = [
    re.compile(r"<\s*(script|iframe|svg|object|embed|style|form|base|link|meta|input|math|noscript)\b", re.I),
    re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),  # an event-handler attribute inside a tag
    re.compile(r"""(href|src|action|data)\s*=\s*["']?\s*(javascript|data|vbscript):""", re.I),
    re.compile(r"\sstyle\s*=", re.I),
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_harmless(payload):
    html = render_markdown(f"Intro paragraph.\n\n{payload}\n\nOutro.")
    for pattern in EXECUTABLE:
        assert not pattern.search(html), (pattern.pattern, html)


@pytest.mark.django_db
def test_article_and_faq_store_sanitised_html_and_serve_it(client):
    article = ArticleFactory(slug="hostile", body_markdown="\n\n".join(PAYLOADS))
    entry = FaqEntryFactory(answer_markdown="\n\n".join(PAYLOADS), articles=[article])
    article.refresh_from_db()
    entry.refresh_from_db()
    for html in (article.body_html, entry.answer_html):
        for pattern in EXECUTABLE:
            assert not pattern.search(html), pattern.pattern

    page = client.get("/blog/hostile/").content.decode()
    body = page.split('<div class="article-body">', 1)[1]
    api = client.get("/api/articles/hostile/").json()
    for html in (body, api["body_html"], api["faq_entries"][0]["answer_html"]):
        for pattern in EXECUTABLE:
            assert not pattern.search(html), pattern.pattern


def test_markdown_features_survive_and_external_links_get_noopener():
    html = render_markdown(
        "## Heading\n\n**bold** and [ours](/shop/foosfoot/) and [theirs](https://example.org/a?b=1&c=2)\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n![alt text](https://example.org/i.png)"
    )
    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert '<a href="/shop/foosfoot/">ours</a>' in html
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener">theirs</a>' in html
    assert "<table>" in html
    assert '<img alt="alt text" src="https://example.org/i.png">' in html


def test_author_cannot_supply_their_own_rel_or_target():
    html = render_markdown('<a href="https://example.org" rel="opener" target="_blank">x</a>')
    assert 'rel="opener"' not in html and "target" not in html
    assert 'rel="noopener"' in html


@pytest.mark.django_db
def test_markdown_is_rendered_at_save_not_per_request(client, django_assert_num_queries):
    article = ArticleFactory(slug="stored", body_markdown="Hello *world*")
    assert article.body_html == "<p>Hello <em>world</em></p>"
    # Changing the stored HTML directly shows that the page serves it as stored.
    type(article).objects.filter(pk=article.pk).update(body_html="<p>served from the column</p>")
    assert "served from the column" in client.get("/blog/stored/").content.decode()


def test_author_ids_cannot_clash_with_the_page():
    html = render_markdown("## Heading {: #main }")
    assert html == '<h2 id="md-main">Heading</h2>'
