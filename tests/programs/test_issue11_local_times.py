"""Issue 11, item 1: the manage page shows the next lesson on the customer's clock, not the site's (UTC).

A customer in America/Chicago with lessons at 08:00 read "Next: … 14:00"; one who chose 19:00
Europe/Berlin read both "19:00" and "Next … 18:00". Every time on the page is now in the
enrollment's own zone, on both sides of a daylight-saving change.
"""

import re

import pytest

from programs import enrollments
from programs.models import Delivery
from tests.factories import program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db


def next_lesson_text(client, enrollment) -> str:
    html = client.get(f"/programs/{enrollment.token}/").content.decode()
    match = re.search(r'<span id="next-lesson">(.*?)</span>', html, re.DOTALL)
    assert match, "the page names no next lesson"
    return re.sub(r"<[^>]+>", "", match.group(1))


def mark_sent(enrollment, *days: int) -> None:
    enrollment.deliveries.filter(step__day__in=days).update(status=Delivery.Status.SENT)


@pytest.mark.parametrize(
    ("zone", "hour", "enrolled_at", "before", "sent_by_then", "after"),
    [
        # The US moves its clocks on Sunday 8 March 2026: 08:00 is 14:00 UTC before, 13:00 UTC after.
        (
            "America/Chicago",
            8,
            utc(2026, 3, 6, 20),
            "Saturday 7 March, 08:00 (America/Chicago)",
            (0, 1),
            "Monday 9 March, 08:00 (America/Chicago)",
        ),
        # The EU on Sunday 29 March 2026: 19:00 is 18:00 UTC before, 17:00 UTC after.
        (
            "Europe/Berlin",
            19,
            utc(2026, 3, 27, 12),
            "Friday 27 March, 19:00 (Europe/Berlin)",
            (0, 1, 2),
            "Monday 30 March, 19:00 (Europe/Berlin)",
        ),
    ],
    ids=["chicago", "berlin"],
)
def test_next_lesson_keeps_its_local_hour_across_the_dst_change(
    client, zone, hour, enrolled_at, before, sent_by_then, after
):
    enrollment = enrollments.enroll(
        program=program_with_steps(5),
        email="feet@example.com",
        origin="order",
        timezone_name=zone,
        send_hour=hour,
        now=enrolled_at,
    )
    assert before in next_lesson_text(client, enrollment)
    mark_sent(enrollment, *sent_by_then)
    text = next_lesson_text(client, enrollment)
    assert after in text
    utc_hours = {
        due.astimezone(utc(2026, 1, 1).tzinfo).hour for due in enrollment.deliveries.values_list("due_at", flat=True)
    }
    assert len(utc_hours) == 2  # the UTC instants did move with the clocks …
    assert not any(f"{utc_hour:02d}:00" in text for utc_hour in utc_hours)  # … and the page shows none of them


def test_after_choosing_19_berlin_the_page_says_19_everywhere(client):
    enrollment = enrollments.enroll(
        program=program_with_steps(3),
        email="feet@example.com",
        origin="order",
        timezone_name="America/Chicago",
        send_hour=8,
        now=utc(2026, 2, 2, 12),
    )
    assert "08:00 (America/Chicago)" in next_lesson_text(client, enrollment)
    response = client.post(
        f"/programs/{enrollment.token}/",
        {"action": "send_time", "send_hour": "19", "timezone": "Europe/Berlin"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lessons now arrive at 19:00 (Europe/Berlin)." in html
    assert '<option value="19" selected>19:00</option>' in html
    text = next_lesson_text(client, enrollment)
    assert "19:00 (Europe/Berlin)" in text and "18:00" not in text


def test_a_paused_enrollment_names_no_next_time_and_an_unknown_zone_falls_back_to_the_site(client, settings):
    enrollment = enrollments.enroll(
        program=program_with_steps(2), email="feet@example.com", origin="order", timezone_name="Asia/Tokyo", send_hour=7
    )
    enrollments.pause(enrollment=enrollment)
    assert 'id="next-lesson"' not in client.get(f"/programs/{enrollment.token}/").content.decode()
    enrollments.resume(enrollment=enrollment)
    type(enrollment).objects.filter(pk=enrollment.pk).update(timezone="Mars/Olympus_Mons")  # a zone that went away
    response = client.get(f"/programs/{enrollment.token}/")
    assert response.status_code == 200 and f"({settings.TIME_ZONE})" in next_lesson_text(client, enrollment)


def test_the_manage_page_costs_the_same_queries_for_3_and_28_lessons(client, django_assert_max_num_queries):
    small = enrollments.enroll(program=program_with_steps(3), email="a@example.com", origin="order")
    large = enrollments.enroll(program=program_with_steps(28), email="b@example.com", origin="order")
    for enrollment in (small, large):
        with django_assert_max_num_queries(5):
            assert client.get(f"/programs/{enrollment.token}/").status_code == 200
