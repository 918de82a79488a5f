"""Issue 15 follow-up: the admin's list of deliveries, which the dashboard's lesson figures link to.

It shows and filters the right rows, is read-only for everyone (no add; a delivery's page refuses a POST),
resends failed lessons only for staff with the change permission, and makes the same number of queries
whatever the number of rows.
"""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programs.models import Delivery, Enrollment
from tests.factories import DeliveryFactory, EnrollmentFactory, ProgramFactory, StepFactory
from tests.programs.conftest import signed_in_staff

pytestmark = pytest.mark.django_db
LIST = "/admin/programs/delivery/"
T0 = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def viewer(client):
    return signed_in_staff(client, "viewer", ["view_delivery", "view_enrollment"])


@pytest.fixture
def changer(client):
    return signed_in_staff(client, "changer", ["view_delivery", "change_delivery"])


def _rows(client, query: str = "") -> set[int]:
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200, (query, response.status_code)
    assert "?e=1" not in response.get("Location", "")
    return {delivery.pk for delivery in response.context["cl"].result_list}


@pytest.fixture
def seeded():
    """Two programs; deliveries in every state that matters to a filter."""
    yoga, feet = ProgramFactory(name="Yoga"), ProgramFactory(name="Feet")
    buyer = EnrollmentFactory(program=yoga, email="Pat.Buyer@Example.com", origin=Enrollment.Origin.ORDER)
    joiner = EnrollmentFactory(program=feet, email="sam@example.com", origin=Enrollment.Origin.SIGNUP)
    yoga1, yoga2 = StepFactory(program=yoga, day=0), StepFactory(program=yoga, day=1)
    feet1 = StepFactory(program=feet, day=0)
    now = timezone.now()
    sent = Delivery.Status.SENT
    return {
        "clicked": DeliveryFactory(
            enrollment=buyer, step=yoga1, status=sent, sent_at=now, opened_at=now, clicked_at=now, click_count=2
        ),
        "failed": DeliveryFactory(
            enrollment=buyer, step=yoga2, status=Delivery.Status.FAILED, attempts=3, last_error="550 " + "x" * 200
        ),
        "old_bounced": DeliveryFactory(
            enrollment=joiner, step=feet1, status=sent, sent_at=now - dt.timedelta(days=40), bounced_at=now
        ),
    }


def test_issue15_delivery_list_shows_each_lesson_with_its_recipient_and_what_became_of_it(viewer, seeded):
    response = viewer.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Yoga · lesson 1" in html and "Yoga · lesson 2" in html and "Feet · lesson 1" in html
    enrollment = seeded["clicked"].enrollment
    assert f'<a href="/admin/programs/enrollment/{enrollment.pk}/change/">Pat.Buyer@Example.com</a>' in html
    assert "Opened · Clicked · 2 link clicks" in html
    assert "550 xxxxx" in html and "x" * 100 not in html.split("title=")[0]  # the error is cut short in the cell
    rows = list(response.context["cl"].result_list)
    assert [row.pk for row in rows] == sorted((d.pk for d in seeded.values()), reverse=True)  # newest first
    assert response.context["cl"].show_full_result_count is False
    assert "Add delivery" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=failed", {"failed"}),
        ("status__exact=sent", {"clicked", "old_bounced"}),
        ("enrollment__origin__exact=signup", {"old_bounced"}),
        ("clicked_at=yes", {"clicked"}),
        ("clicked_at=no", {"failed", "old_bounced"}),
        ("opened_at=yes", {"clicked"}),
        ("bounced_at=yes", {"old_bounced"}),
        ("unsubscribed_at=yes", set()),
        ("q=pat.buyer%40example.COM", {"clicked", "failed"}),  # any case, the whole address
        ("q=pat.buyer", set()),  # not a substring search: that would read every enrollment
    ],
)
def test_issue15_delivery_list_filters_show_the_right_rows(viewer, seeded, query, expected):
    assert _rows(viewer, query) == {seeded[name].pk for name in expected}


def test_issue15_delivery_list_filters_by_program_and_sent_date(viewer, seeded):
    yoga = seeded["clicked"].step.program
    assert _rows(viewer, f"step__program__id__exact={yoga.pk}") == {seeded["clicked"].pk, seeded["failed"].pk}
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = urlencode({"sent_at__gte": str(midnight), "sent_at__lt": str(midnight + dt.timedelta(days=1))})
    assert _rows(viewer, today) == {seeded["clicked"].pk}  # the filter's "Today", as Django writes its link
    assert f'href="?{today}"' in viewer.get(LIST).content.decode().replace("&amp;", "&")
    assert _rows(viewer, "sent_at__isnull=True") == {seeded["failed"].pk}  # "No date"


def test_issue15_a_delivery_is_read_only_for_everyone(admin_client, seeded):
    delivery = seeded["failed"]
    assert admin_client.get(f"{LIST}add/").status_code == 403
    page = admin_client.get(f"{LIST}{delivery.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Yoga · lesson 2" in html and "550 xxx" in html
    assert 'name="status"' not in html and 'name="last_error"' not in html and 'name="_save"' not in html
    before = Delivery.objects.values().get(pk=delivery.pk)
    refused = admin_client.post(f"{LIST}{delivery.pk}/change/", {"status": "sent", "attempts": 0, "last_error": ""})
    assert refused.status_code == 403
    assert Delivery.objects.values().get(pk=delivery.pk) == before


def test_issue15_resending_failed_lessons_needs_the_change_permission(client, seeded):
    failed = seeded["failed"]
    picked = [failed.pk, seeded["clicked"].pk]
    viewer = signed_in_staff(client, "viewer", ["view_delivery"])
    assert 'value="resend_failed"' not in viewer.get(LIST).content.decode()  # not offered
    viewer.post(LIST, {"action": "resend_failed", "_selected_action": picked})
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED and failed.attempts == 3

    changer = signed_in_staff(client, "changer", ["view_delivery", "change_delivery"])
    assert 'value="resend_failed"' in changer.get(LIST).content.decode()
    response = changer.post(LIST, {"action": "resend_failed", "_selected_action": picked}, follow=True)
    assert "1 failed lesson(s) will be sent on the next pass." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.SCHEDULED and failed.attempts == 0
    assert Delivery.objects.get(pk=seeded["clicked"].pk).status == Delivery.Status.SENT  # a sent one is left alone


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{LIST}?status__exact=sent")
    assert response.status_code == 200
    return len(queries)


def test_issue15_delivery_list_queries_do_not_grow_with_the_rows(admin_client, django_assert_max_num_queries):
    def add(count: int) -> None:
        for n in range(count):
            enrollment = EnrollmentFactory(timezone=["UTC", "America/Chicago", "Asia/Tokyo"][n % 3])
            DeliveryFactory(enrollment=enrollment, status=Delivery.Status.SENT, sent_at=T0, opened_at=T0)

    add(1)
    one = _list_queries(admin_client)
    add(59)
    with django_assert_max_num_queries(one):
        _list_queries(admin_client)
    assert Delivery.objects.count() == 60


def test_issue15_an_unfiltered_huge_list_is_not_counted_row_by_row(admin_client, seeded, monkeypatch):
    """The whole table's size comes from the planner's statistics once they say it is large."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE programs_delivery")  # the statistics now say 3 rows
    monkeypatch.setattr("programs.admin_deliveries.ESTIMATE_ABOVE", 2)  # 3 is "huge"
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(LIST)
    assert response.status_code == 200 and response.context["cl"].result_count == 3
    sql = [query["sql"] for query in queries.captured_queries]
    assert any("reltuples" in statement for statement in sql)
    assert not any(statement.startswith("SELECT COUNT(*)") for statement in sql), sql
    assert _rows(admin_client, "status__exact=failed") == {seeded["failed"].pk}  # a filtered list is counted
