"""Issue 11, item 12: the programs admin reads without training: human labels, due times on the customer's
clock with the zone named, send hours as "19:00", and a program page that lists its lessons instead of
editing all of them inline (the page height is checked in a browser: tests/e2e/test_programs_admin.py)."""

import re

import pytest
from django.contrib.auth import get_user_model

from programs import enrollments
from tests.factories import program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    return client


@pytest.fixture
def chicago():
    return enrollments.enroll(
        program=program_with_steps(3, name="Foundations"),
        email="dana@example.com",
        origin="order",
        timezone_name="America/Chicago",
        send_hour=8,
        now=utc(2026, 3, 2, 20),  # Monday 14:00 in Chicago: lessons from Tuesday 3 March
    )


def test_the_enrollment_page_uses_human_labels_and_local_due_times(staff_client, chicago):
    html = staff_client.get(f"/admin/programs/enrollment/{chicago.pk}/change/").content.decode()
    assert "Anchor date" not in html and "Anchor day" not in html
    assert "Lessons start on" in html and "Tue 3 Mar 2026, with lesson 1" in html
    assert "Send at (local hour)" in html and '<option value="8" selected>08:00</option>' in html
    assert "Due (customer&#x27;s time)" in html or "Due (customer's time)" in html
    assert "Tue 3 Mar, 08:00 America/Chicago" in html  # not 14:00, and with its zone
    assert "Wed 4 Mar, 08:00 America/Chicago" in html and "Thu 5 Mar, 08:00 America/Chicago" in html
    assert "Mar, 14:00" not in html and "March 3, 2026, 2 p.m." not in html  # nowhere in UTC


def test_the_enrollment_list_shows_the_send_time_with_its_zone(staff_client, chicago):
    html = staff_client.get("/admin/programs/enrollment/").content.decode()
    assert "08:00 America/Chicago" in html


def test_staff_choose_a_send_time_from_a_list_of_hours(staff_client, chicago):
    program = chicago.program
    html = staff_client.get(f"/admin/programs/program/{program.pk}/change/").content.decode()
    assert '<select name="send_hour"' in html and '<option value="19">19:00</option>' in html
    assert "Send days" in html and "Send at (local hour)" in html
    listing = staff_client.get("/admin/programs/program/").content.decode()
    assert '<td class="field-send_time">08:00</td>' in listing


def test_the_program_page_lists_its_lessons_instead_of_28_editors(staff_client, django_assert_max_num_queries):
    program = program_with_steps(28, name="Foundations")
    with django_assert_max_num_queries(12) as queries:
        html = staff_client.get(f"/admin/programs/program/{program.pk}/change/").content.decode()
    assert "steps-TOTAL_FORMS" not in html and "<textarea" in html  # the description only
    assert html.count("<textarea") == 1
    rows = re.findall(r'<tr><td class="program-lessons__day">(\d+)</td><td>([^<]+)</td>', html)
    assert [int(day) for day, _ in rows] == list(range(1, 29)) and rows[0][1] == "Lesson 1"
    first = program.steps.get(day=0)
    assert f'href="/admin/programs/step/{first.pk}/change/"' in html
    assert f'href="/admin/programs/step/{first.pk}/preview/"' in html
    assert f'href="/admin/programs/step/add/?program={program.pk}&amp;day=28"' in html
    small = program_with_steps(3)
    with django_assert_max_num_queries(len(queries.captured_queries)):
        assert staff_client.get(f"/admin/programs/program/{small.pk}/change/").status_code == 200


def test_a_lesson_is_edited_on_its_own_page_with_its_order_and_returns_to_its_program(staff_client):
    program = program_with_steps(2)
    step = program.steps.get(day=1)
    page = staff_client.get(f"/admin/programs/step/{step.pk}/change/").content.decode()
    assert "Order:" in page and "0 is the first lesson" in page
    add = staff_client.get(f"/admin/programs/step/add/?program={program.pk}&day=2").content.decode()
    assert 'name="day" value="2"' in add
    response = staff_client.post(
        f"/admin/programs/step/{step.pk}/change/",
        {"program": program.pk, "day": "5", "subject": "Moved", "body": "Later.", "video_url": ""},
    )
    assert response.status_code == 302 and response["Location"] == f"/admin/programs/program/{program.pk}/change/"
    step.refresh_from_db()
    assert (step.day, step.subject) == (5, "Moved")
