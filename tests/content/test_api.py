"""GET /api/articles/, /api/articles/<slug>/, /api/faqs/ and their error answers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, FaqCategoryFactory, FaqEntryFactory, FurtherReadingFactory, TagFactory

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_article_list_is_paginated_newest_first(api_client):
    now = timezone.now()
    for day in range(25):
        ArticleFactory(slug=f"a-{day:02d}", published_at=now - timedelta(days=day + 1))
    first = api_client.get("/api/articles/").json()
    assert first["count"] == 25
    assert [a["slug"] for a in first["results"][:3]] == ["a-00", "a-01", "a-02"]
    assert len(first["results"]) == 20
    second = api_client.get(first["next"]).json()
    assert [a["slug"] for a in second["results"]] == [f"a-{d}" for d in range(20, 25)]
    item = first["results"][0]
    assert set(item) == {
        "slug", "title", "summary", "author", "published_at", "updated_at", "reading_minutes", "tags", "url",
    }  # fmt: skip
    assert item["url"] == "/blog/a-00/"


def test_filter_by_tag_and_search_title_and_summary(api_client):
    tag = TagFactory(slug="posture", name="Posture")
    ArticleFactory(slug="tagged", title="Standing tall", tags=[tag])
    ArticleFactory(slug="by-summary", title="Other", summary="All about ARCHES and toes")
    ArticleFactory(slug="by-body", title="Nothing", summary="Nothing", body_markdown="arches")
    assert [a["slug"] for a in api_client.get("/api/articles/?tag=posture").json()["results"]] == ["tagged"]
    assert [a["slug"] for a in api_client.get("/api/articles/?search=arches").json()["results"]] == ["by-summary"]
    assert [a["slug"] for a in api_client.get("/api/articles/?search=TALL").json()["results"]] == ["tagged"]
    tagged = api_client.get("/api/articles/?tag=posture").json()["results"][0]
    assert tagged["tags"] == [{"name": "Posture", "slug": "posture"}]


def test_article_detail_has_html_tags_reading_and_faq(api_client, product):
    article = ArticleFactory(slug="detail", body_markdown="# Hi\n\nText", featured_product=product)
    FurtherReadingFactory(article=article, title="Second", position=2)
    FurtherReadingFactory(article=article, title="First", url="https://example.org/1", position=1)
    FaqEntryFactory(articles=[article], question="Q?", answer_markdown="**A**")
    body = api_client.get("/api/articles/detail/").json()
    assert body["body_html"] == "<h1>Hi</h1>\n<p>Text</p>"
    assert [link["title"] for link in body["further_reading"]] == ["First", "Second"]
    assert body["further_reading"][0] == {"title": "First", "url": "https://example.org/1"}
    assert body["faq_entries"][0]["question"] == "Q?"
    assert body["faq_entries"][0]["answer_html"] == "<p><strong>A</strong></p>"
    assert body["featured_product"] == "foosfoot"
    assert body["canonical_url"] == "http://testserver/blog/detail/"


def test_faqs_are_grouped_by_category_in_order(api_client):
    second = FaqCategoryFactory(name="Second", slug="second", position=2)
    first = FaqCategoryFactory(name="First", slug="first", position=1)
    FaqCategoryFactory(name="Empty", slug="empty", position=3)
    FaqEntryFactory(category=second, question="B?", position=1)
    FaqEntryFactory(category=first, question="A2?", position=2)
    FaqEntryFactory(category=first, question="A1?", position=1)
    FaqEntryFactory(category=first, question="Hidden?", is_published=False)
    body = api_client.get("/api/faqs/").json()
    assert [c["slug"] for c in body] == ["first", "second"]
    assert [e["question"] for e in body[0]["entries"]] == ["A1?", "A2?"]


@pytest.mark.parametrize(
    "url,status,code",
    [
        ("/api/articles/?search=" + "x" * 101, 400, "validation_error"),
        ("/api/articles/?page=999", 404, "not_found"),
        ("/api/articles/?page=abc", 404, "not_found"),
        ("/api/articles/?page=-1", 404, "not_found"),
        ("/api/articles/?tag=no-such-tag", 404, "not_found"),
        ("/api/articles/no-such-article/", 404, "not_found"),
        ("/api/articles/%00%ff/", 404, "not_found"),
    ],
)
def test_bad_input_answers_the_error_shape_never_500(api_client, url, status, code):
    ArticleFactory()
    body = assert_error_shape(api_client.get(url), status, code)
    if status == 400:
        assert "search" in body["fields"]


def test_api_is_read_only(api_client):
    ArticleFactory(slug="ro")
    assert_error_shape(api_client.post("/api/articles/", {}, format="json"), 405, "method_not_allowed")
    assert_error_shape(api_client.delete("/api/articles/ro/"), 405, "method_not_allowed")


def test_openapi_documents_content_endpoints_and_errors(api_client):
    import yaml

    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    paths = schema["paths"]
    assert {"/api/articles/", "/api/articles/{slug}/", "/api/faqs/"} <= set(paths)
    responses = paths["/api/articles/"]["get"]["responses"]
    assert {"200", "400", "404"} <= set(responses)
    assert responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    params = {p["name"] for p in paths["/api/articles/"]["get"]["parameters"]}
    assert {"page", "tag", "search"} <= params


@pytest.mark.parametrize("query", ["?search=a%00b", "?tag=a%00b", "?search=%ff%fe", "?page=%00", "?tag=" + "t" * 500])
def test_hostile_query_strings_never_500(api_client, client, query):
    ArticleFactory()
    response = api_client.get(f"/api/articles/{query}")
    assert response.status_code in (200, 400, 404)
    assert "code" in response.json() or "results" in response.json()
    assert client.get(f"/blog/{query}").status_code in (200, 404)
