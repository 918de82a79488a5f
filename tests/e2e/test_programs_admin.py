"""Issue 11 in a real browser, the staff side: the lesson preview works under our own CSP (item 10) and a
program's change page is short enough to use (item 12)."""

import pytest
from django.contrib.auth import get_user_model

from programs import demo
from programs.models import Program
from shop import demo as shop_demo

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-staff-password-1"  # noqa: S105 - a test user's


@pytest.fixture
def staff_page(page_recorder):
    get_user_model().objects.create_superuser("coach", "coach@hodhod.example", PASSWORD)
    page = page_recorder.page
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("coach")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


@pytest.fixture
def foundations(transactional_db):
    shop_demo.seed_demo()
    demo.seed_demo()
    return Program.objects.get(slug=demo.FOUNDATIONS_SLUG)


def test_the_lesson_preview_shows_the_mail_at_a_usable_size_with_no_csp_errors(staff_page, page_recorder, foundations):
    page, step = staff_page, page_recorder.step
    lesson = foundations.steps.get(day=0)
    page.goto(f"/admin/programs/step/{lesson.pk}/preview/")
    frame = page.frame_locator("iframe.lesson-preview__frame")
    frame.get_by_role("heading", name=lesson.subject).wait_for()
    box = page.locator("iframe.lesson-preview__frame").bounding_box()
    assert box["width"] >= 700 and box["height"] >= 700, box  # not the browser's default 300×150
    assert "Today’s five minutes" in frame.locator("body").inner_text()
    assert page.locator("pre.lesson-preview__text").evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    text = page.locator("pre.lesson-preview__text").inner_text()
    assert "**" not in text and "Today’s five minutes" in text  # the plain-text part, as plain text
    step("lesson preview")
    assert page_recorder.console_errors == []
    assert page_recorder.failed_requests == []


def test_the_program_page_lists_its_lessons_and_stays_short(staff_page, page_recorder, foundations):
    page, step = staff_page, page_recorder.step
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/admin/programs/program/{foundations.pk}/change/")
    lessons = page.locator("table.program-lessons tbody tr")
    assert lessons.count() == 28
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the program page is {height} px tall"
    assert page.get_by_label("Send at (local hour)").input_value() == "8"
    assert page.get_by_label("Send at (local hour)").locator("option:checked").inner_text() == "08:00"
    step("program page")

    lessons.nth(2).get_by_role("link", name="Edit").click()
    page.wait_for_url("**/admin/programs/step/*/change/")
    assert page.get_by_label("Order").input_value() == "2"
    step("lesson page")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"**/admin/programs/program/{foundations.pk}/change/")
    step("back on the program")
    assert page_recorder.console_errors == []
