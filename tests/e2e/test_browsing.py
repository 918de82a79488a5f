"""Reading pages in a real browser: no console errors, nothing fetched from another host,
fingerprinted static files cached for a year, and axe-core finds nothing serious."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from shop.models import Order
from tests.factories import ArticleFactory, FaqEntryFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(db):
    product = ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("89.00"), stock=4)
    article = ArticleFactory(
        title="Why weak feet strain your back",
        slug="weak-feet-strain-your-back",
        body_markdown="## Flat feet\n\nWhen the arch drops, the pelvis tilts.\n\n- heel raises\n- toe presses\n",
        featured_product=product,
    )
    FaqEntryFactory(question="Can foot pain cause back pain?", answer_markdown="Often, yes.", products=[product])
    FaqEntryFactory(question="How long each day?", answer_markdown="Five minutes.", articles=[article])
    return {"product": product, "article": article}


def own_host_only(page_recorder, live_server) -> None:
    assert page_recorder.hosts == {urlsplit(live_server.url).netloc}, page_recorder.requests


@pytest.mark.parametrize(
    ("path", "expect"),
    [
        ("/blog/", "Why weak feet strain your back"),
        ("/blog/weak-feet-strain-your-back/", "When the arch drops"),
        ("/faq/", "Can foot pain cause back pain?"),
        ("/api/docs/", "Hod & Hod API"),
    ],
    ids=["blog", "article", "faq", "api-docs"],
)
def test_reading_pages_have_no_console_errors_and_no_foreign_requests(page_recorder, live_server, site, path, expect):
    page = page_recorder.page
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    if path == "/api/docs/":
        page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI rendered the schema
        page.get_by_text("/api/products/", exact=True).first.wait_for()
    page.get_by_text(expect).first.wait_for()
    page_recorder.step(path.strip("/").replace("/", "-") or "home")
    assert page_recorder.console_errors == []
    assert page_recorder.failed_requests == []
    own_host_only(page_recorder, live_server)


def test_static_files_are_fingerprinted_and_cached_for_a_year(page_recorder, live_server, site):
    page = page_recorder.page
    page.goto("/")
    stylesheet = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", stylesheet)
    answer = page.request.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert answer.status == 200
    cache_control = answer.headers["cache-control"]
    assert "immutable" in cache_control
    assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 31536000
    assert answer.headers.get("content-encoding") == "gzip"


def test_pages_are_usable_on_a_phone(browser, live_server, site, transactional_db):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        for path in ("/", "/shop/foosfoot/", "/cart/", "/blog/"):
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways on a phone"
    finally:
        context.close()


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_accessibility_of_the_main_pages(page_recorder, live_server, site):
    page, step = page_recorder.page, page_recorder.step
    order = OrderFactory(status=Order.Status.PAID, total=Decimal("89.00"))
    OrderLineFactory(order=order, product=site["product"], quantity=1)
    found = {}

    page.goto("/")
    found["home"] = serious_violations(page)
    page.goto("/shop/foosfoot/")
    found["product"] = serious_violations(page)
    step("product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    found["cart"] = serious_violations(page)
    page.get_by_role("button", name="Check out and pay").click()  # no email: the error is shown next to the field
    page.locator("#email-error").wait_for()
    found["cart with an error"] = serious_violations(page)
    step("cart with an error")
    page.goto("/blog/weak-feet-strain-your-back/")
    found["article"] = serious_violations(page)
    page.goto(f"/orders/{order.token}/")
    found["order"] = serious_violations(page)
    page.goto("/orders/unknown/")
    found["not found"] = serious_violations(page)

    assert {name: problems for name, problems in found.items() if problems} == {}


def test_keyboard_users_can_skip_to_the_content_and_see_focus(page_recorder, live_server, site):
    page = page_recorder.page
    page.goto("/shop/foosfoot/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
