"""Issue 15 in a real browser: the admin home's figures and charts render under our CSP, from our own host only,
readable by screen readers, and a figure's link opens the list it counts."""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from tests.hodhod.test_issue15_dashboard import seed_members, seed_programs, seed_shop

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-staff-password-1"  # noqa: S105 - a test user's


@pytest.fixture
def staff_page(page_recorder, transactional_db):
    get_user_model().objects.create_superuser("owner", "owner@hodhod.example", PASSWORD)
    page = page_recorder.page
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def test_issue15_the_dashboard_renders_under_the_csp(staff_page, page_recorder, live_server):
    page, step = staff_page, page_recorder.step
    seed_shop()
    seed_members()
    seed_programs()

    page.goto("/admin/")
    assert page.locator("#figure-orders-paid .dash-figure__value").inner_text() == "5"
    assert page.locator("#figure-revenue-usd .dash-figure__value").inner_text() == "219.00 USD"
    charts = page.locator(".hodhod-dashboard figure.chart svg[role=img]")
    assert charts.count() == 3  # revenue in USD, in EUR, and the stock left
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 300 and box["height"] > 150, box  # drawn at a readable size …
        assert box["x"] + box["width"] <= 1280, box  # … and within the page
    # Bars take their colour from SVG attributes: nothing the CSP's style-src refuses.
    assert charts.first.locator("rect[fill]").count() >= 30
    hidden = page.locator(".hodhod-dashboard figure.chart table").first
    # For screen readers, not on screen: clipped away (a table is never narrower than its text, whatever its width).
    assert hidden.evaluate("e => getComputedStyle(e).clip") == "rect(0px, 0px, 0px, 0px)"
    assert hidden.evaluate("e => getComputedStyle(e).position") == "absolute"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # nothing sticks out sideways
    # The work queues and the app list still follow, the shop's first.
    assert page.get_by_role("heading", name="Orders to ship today").is_visible()
    assert page.locator("#content-main div[class^='app-']").first.get_attribute("class").startswith("app-shop")
    step("dashboard")

    results = Axe().run(page, context=".hodhod-dashboard")
    serious = [
        (v["id"], [(n["target"], n.get("failureSummary", "")[:200]) for n in v["nodes"][:3]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    page.emulate_media(color_scheme="dark")
    step("dashboard, dark theme")
    page.emulate_media(color_scheme="light")

    page.locator("#figure-orders-to-ship a").click()
    page.wait_for_url("**/admin/shop/order/?status__exact=paid")
    assert page.locator("#result_list tbody tr").count() == 2
    step("orders to ship, from the dashboard")

    assert page_recorder.console_errors == []
    assert page_recorder.failed_requests == []
    assert page_recorder.hosts == {urlsplit(live_server.url).netloc}, page_recorder.requests
