"""Issue 15 in a real browser: a program's report renders under our CSP, charts and all, from our own host only."""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from tests.programs.test_issue15_report import seed_report_program

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-staff-password-1"  # noqa: S105 - a test user's


@pytest.fixture
def staff_page(page_recorder, transactional_db):
    get_user_model().objects.create_superuser("coach", "coach@hodhod.example", PASSWORD)
    page = page_recorder.page
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("coach")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def test_issue15_the_program_report_renders_under_the_csp(staff_page, page_recorder, live_server):
    page, step = staff_page, page_recorder.step
    page.set_viewport_size({"width": 1280, "height": 900})
    program = seed_report_program()

    page.goto("/admin/programs/program/")
    page.locator("tr", has_text="Foundations").get_by_role("link", name="Lesson figures").click()
    page.wait_for_url(f"**/admin/programs/program/{program.pk}/report/")
    assert page.locator("table.program-report__lessons tbody tr").count() == 28
    first = page.locator("table.program-report__lessons tbody tr").first.inner_text()
    assert first.split("\t")[:3] == ["1", "Lesson 1", "5"]
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 2
    for index in range(2):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 300 and box["height"] > 150, box  # drawn, and not wider than the page
        assert box["x"] + box["width"] <= 1280
    # The tables behind the charts are there for screen readers, not on screen.
    hidden = page.locator("figure.chart table").first
    assert hidden.evaluate("e => [getComputedStyle(e).position, getComputedStyle(e).clip]") == [
        "absolute",
        "rect(0px, 0px, 0px, 0px)",
    ]
    step("report, every origin")

    page.get_by_label("Origin").select_option("bought")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**origin=bought**")
    assert page.locator("table.program-report__funnel tbody tr").first.inner_text().split("\t") == [
        "Enrolled",
        "1",
        "100.0 %",
    ]
    step("report, bought only")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table as CSV").click()
    assert download.value.suggested_filename == "foundations-lessons.csv"

    results = Axe().run(page, context=".program-report")
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []

    page.goto(f"/admin/programs/program/{program.pk}/report/?date_from=2026-06-02&date_to=2026-06-01")
    assert "The start date is after the end date." in page.locator(".errornote").inner_text()
    step("report, bad dates")

    # The 400 answer above is logged by the browser as a failed resource; nothing else may fail.
    assert [error for error in page_recorder.console_errors if "400" not in error] == []
    assert page_recorder.failed_requests == []
    assert page_recorder.hosts == {urlsplit(live_server.url).netloc}, page_recorder.requests
