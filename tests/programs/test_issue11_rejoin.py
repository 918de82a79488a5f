"""Issue 11, item 8: unsubscribing is no dead end. A program that came with an order can be taken up again
from its manage page while its lessons are not all past, and the status badge says "Unsubscribed" in
its own colour, never like "Active"."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from core.suppression import suppress
from programs import enrollments, selectors
from programs.models import Delivery, Enrollment, Step
from tests.factories import program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = utc(2026, 3, 2, 20)  # Monday, 14:00 in Chicago

    monkeypatch.setattr(timezone, "now", lambda: Clock.now)
    return Clock


@pytest.fixture
def bought(clock):
    """An order's enrollment in a 10-lesson program, lessons 1–3 sent, then unsubscribed on day 3."""
    enrollment = enrollments.enroll(
        program=program_with_steps(10, name="Foundations"),
        email="dana@example.com",
        origin=Enrollment.Origin.ORDER,
        timezone_name="America/Chicago",
        send_hour=8,
    )
    enrollment.deliveries.filter(step__day__lt=3).update(status=Delivery.Status.SENT)
    clock.now = utc(2026, 3, 5, 20)  # Thursday
    return enrollments.unsubscribe(enrollment=enrollment)


def badge(html: str) -> tuple[str, str]:
    match = re.search(r'<span class="status-badge status-badge--(\w+)" id="enrollment-status">([^<]+)</span>', html)
    assert match, "no status badge"
    return match.group(1), match.group(2)


def test_the_manage_page_offers_to_rejoin_and_rejoining_schedules_the_rest_from_the_next_send_hour(
    client, clock, bought
):
    clock.now = utc(2026, 3, 9, 20)  # a week after the start, 14:00 in Chicago (after the DST change)
    html = client.get(f"/programs/{bought.token}/").content.decode()
    assert badge(html) == ("unsubscribed", "Unsubscribed")
    assert "Rejoin Foundations" in html and "lesson 4, “Lesson 4”, follows at 08:00 (America/Chicago)" in html

    response = client.post(f"/programs/{bought.token}/", {"action": "rejoin"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Welcome back" in html and badge(html) == ("active", "Active")
    bought.refresh_from_db()
    assert bought.status == Enrollment.Status.ACTIVE
    open_rows = bought.deliveries.filter(status=Delivery.Status.SCHEDULED).select_related("step").order_by("due_at")
    zone = selectors.enrollment_zone(bought)
    local = [(row.step.day, row.due_at.astimezone(zone)) for row in open_rows]
    assert [day for day, _ in local] == list(range(3, 10))  # lessons 4–10, in order
    assert {when.hour for _, when in local} == {8}  # at the local send hour, on the customer's clock
    assert local[0][1].date() == dt.date(2026, 3, 10)  # today's 08:00 has passed: tomorrow
    assert [when.date() for _, when in local] == [dt.date(2026, 3, 10) + dt.timedelta(days=n) for n in range(7)]
    assert bought.deliveries.filter(status=Delivery.Status.SENT).count() == 3  # what was sent stays sent
    assert "Next: “Lesson 4”, Tuesday 10 March, 08:00 (America/Chicago)" in re.sub(r"<[^>]+>", "", html)


def test_lessons_added_while_unsubscribed_come_along(client, clock, bought):
    Step.objects.create(program=bought.program, day=10, subject="Bonus", body="More.")
    assert not bought.deliveries.filter(step__day=10).exists()  # an unsubscribed enrollment gets none
    enrollments.rejoin(enrollment=bought)
    assert bought.deliveries.get(step__day=10).status == Delivery.Status.SCHEDULED
    assert bought.deliveries.filter(status=Delivery.Status.SCHEDULED).count() == 8


def test_once_the_programs_lessons_are_all_past_there_is_nothing_to_rejoin(client, clock, bought):
    last = bought.deliveries.order_by("-due_at").first().due_at
    clock.now = last + dt.timedelta(minutes=1)
    html = client.get(f"/programs/{bought.token}/").content.decode()
    assert badge(html) == ("unsubscribed", "Unsubscribed") and "Rejoin" not in html
    response = client.post(f"/programs/{bought.token}/", {"action": "rejoin"})
    assert response.status_code == 400 and "cannot be taken up again" in response.content.decode()
    assert Enrollment.objects.get(pk=bought.pk).status == Enrollment.Status.UNSUBSCRIBED


def test_a_free_signup_rejoins_through_the_join_page_not_here(client, clock):
    enrollment = enrollments.enroll(program=program_with_steps(3), email="free@example.com", origin="signup")
    enrollments.unsubscribe(enrollment=enrollment)
    assert "Rejoin" not in client.get(f"/programs/{enrollment.token}/").content.decode()
    with pytest.raises(enrollments.EnrollmentStateError):
        enrollments.rejoin(enrollment=enrollment)


def test_an_address_on_the_suppression_list_is_not_offered_a_rejoin(client, clock, bought):
    suppress(email="dana@example.com", reason="complaint")
    assert "Rejoin" not in client.get(f"/programs/{bought.token}/").content.decode()


def test_rejoining_twice_is_refused_the_second_time(client, clock, bought):
    assert client.post(f"/programs/{bought.token}/", {"action": "rejoin"}).status_code == 200
    second = client.post(f"/programs/{bought.token}/", {"action": "rejoin"})
    assert second.status_code == 400 and badge(second.content.decode()) == ("active", "Active")


@pytest.mark.parametrize(
    ("status", "label"),
    [("active", "Active"), ("paused", "Paused"), ("unsubscribed", "Unsubscribed"), ("completed", "Completed")],
)
def test_each_status_has_its_own_badge(client, clock, status, label):
    enrollment = enrollments.enroll(program=program_with_steps(2), email="b@example.com", origin="order")
    Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
    assert badge(client.get(f"/programs/{enrollment.token}/").content.decode()) == (status, label)


def test_the_unsubscribed_manage_page_costs_a_fixed_number_of_queries(
    client, clock, bought, django_assert_max_num_queries
):
    with django_assert_max_num_queries(7):
        assert client.get(f"/programs/{bought.token}/").status_code == 200
