"""Issue 11, items 5 and 9 in a real browser: the footer leads shoppers to the site pages, and an
article uses a wide screen (a readable text column with its rail beside it, or centred)."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from content.demo import ARTICLE_SLUG, seed_demo
from tests.factories import ArticleFactory, ProductFactory

pytestmark = pytest.mark.e2e

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 740}

LAYOUT = """() => {
  const box = (selector) => {
    const element = document.querySelector(selector);
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width};
  };
  return {
    viewport: document.documentElement.clientWidth,
    article: box("article.article"),
    text: box(".article-body"),
    rail: box(".article__rail"),
  };
}"""


@pytest.fixture
def demo(db):
    """The demo content: the article (with the FoosFoot, its FAQ and links) and the six site pages."""
    ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("59.00"), stock=10)
    seed_demo()
    ArticleFactory(title="A short note", slug="short-note", body_markdown="Only text, nothing beside it.")


def no_problems(page_recorder, live_server) -> None:
    assert page_recorder.console_errors == []
    assert page_recorder.failed_requests == []
    assert page_recorder.hosts == {urlsplit(live_server.url).netloc}, page_recorder.requests


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_home_page_footer_leads_to_the_shipping_page(page_recorder, live_server, demo):
    page, step = page_recorder.page, page_recorder.step
    page.goto("/")
    footer = page.locator("footer.site-footer")
    titles = footer.get_by_role("navigation", name="Footer").get_by_role("link").all_inner_texts()
    assert titles[:6] == ["Shipping", "Returns", "Warranty", "Contact us", "Privacy", "Terms of sale"]
    footer.scroll_into_view_if_needed()
    step("home footer")

    footer.get_by_role("link", name="Shipping").click()
    page.wait_for_url("**/pages/shipping/")
    page.get_by_role("heading", level=1, name="Shipping").wait_for()
    table = page.locator(".article-body table")
    assert "free on orders over 100 USD" in table.inner_text()
    assert "Canada, express" in table.inner_text()
    current = page.locator('.site-page__nav a[aria-current="page"]')
    assert current.inner_text() == "Shipping"
    step("shipping page")
    assert serious_violations(page) == []

    page.locator(".article-body").get_by_role("link", name="support@hodhod.example").wait_for()
    page.locator(".site-page__nav").get_by_role("link", name="Privacy").click()
    page.wait_for_url("**/pages/privacy/")
    assert "never reach our server" in page.locator(".article-body").inner_text()
    step("privacy page")
    no_problems(page_recorder, live_server)


def test_an_article_uses_a_wide_screen(page_recorder, live_server, demo):
    page, step = page_recorder.page, page_recorder.step
    page.set_viewport_size(WIDE)

    page.goto(f"/blog/{ARTICLE_SLUG}/")
    page.get_by_role("heading", level=1).wait_for()
    layout = page.evaluate(LAYOUT)
    step("article at 1440")
    width, article, text, rail = layout["viewport"], layout["article"], layout["text"], layout["rail"]
    assert article["right"] > 0.6 * width, layout  # the right 40% is no longer empty
    assert 480 <= text["width"] <= 760, layout  # a readable measure: about 65-90 characters a line
    assert rail["left"] >= text["right"] and rail["top"] < text["bottom"], layout  # beside the text, not below
    assert rail["right"] <= width

    page.goto("/blog/short-note/")  # nothing to put beside the text: the column is centred
    page.get_by_role("heading", level=1).wait_for()
    layout = page.evaluate(LAYOUT)
    step("article without a rail at 1440")
    left_margin, right_margin = layout["article"]["left"], layout["viewport"] - layout["article"]["right"]
    assert abs(left_margin - right_margin) <= 2, layout
    assert layout["rail"] is None
    no_problems(page_recorder, live_server)


def test_site_pages_and_articles_fit_a_phone(page_recorder, live_server, demo):
    page, step = page_recorder.page, page_recorder.step
    page.set_viewport_size(PHONE)
    for path in ("/pages/shipping/", "/pages/privacy/", f"/blog/{ARTICLE_SLUG}/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")  # the favicon too: leaving earlier aborts it
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        step(f"{path} on a phone")
        assert overflow <= 0, f"{path} scrolls sideways on a phone"
    no_problems(page_recorder, live_server)
