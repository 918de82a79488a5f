"""Issue 15: the per-program report in the admin — each figure against a hand count of seeded deliveries.

Five people in a 28-lesson program (A bought, B and E signed up, C is a member, D was enrolled by staff),
one stranger in another program, each delivery written by hand below. The expected figures are counted
by hand from that table and written out literally.
"""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from programs import report
from programs.models import Delivery, Enrollment
from tests.factories import DeliveryFactory, EnrollmentFactory, program_with_steps

pytestmark = pytest.mark.django_db

SENT, FAILED, SCHEDULED = Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.SCHEDULED
NO_FILTERS = report.ReportFilters()


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _person(program, origin, *, created_days_ago, status=Enrollment.Status.ACTIVE, lessons=()):
    """An enrollment and its deliveries: (lesson, status, sent days ago, engagement fields set to the send time)."""
    enrollment = EnrollmentFactory(program=program, origin=origin, status=status)
    Enrollment.objects.filter(pk=enrollment.pk).update(created_at=_ago(created_days_ago))
    steps = {step.day + 1: step for step in program.steps.all()}
    for lesson, delivery_status, sent_days_ago, *engagement in lessons:
        sent_at = _ago(sent_days_ago) if sent_days_ago is not None else None
        DeliveryFactory(
            enrollment=enrollment,
            step=steps[lesson],
            status=delivery_status,
            sent_at=sent_at,
            **{f"{event}_at": sent_at + dt.timedelta(hours=1) for event in engagement},
            **({"click_count": 1} if "clicked" in engagement or "scanner_clicked" in engagement else {}),
        )
    return enrollment


def seed_report_program(name="Foundations", lessons=28):
    """The program of the hand counts below (see the module's docstring)."""
    program = program_with_steps(lessons, name=name, slug=name.lower())
    origin = Enrollment.Origin
    _person(program, origin.ORDER, created_days_ago=100, status=Enrollment.Status.COMPLETED, lessons=[
        (1, SENT, 60, "delivered", "opened", "clicked"),
        (2, SENT, 59, "delivered", "opened"),
        (7, SENT, 50, "delivered"),
        (14, SENT, 40, "delivered", "opened", "clicked"),
        (28, SENT, 20, "delivered", "opened", "clicked"),
    ])  # fmt: skip
    _person(program, origin.SIGNUP, created_days_ago=10, status=Enrollment.Status.UNSUBSCRIBED, lessons=[
        (1, SENT, 5, "delivered", "opened", "scanner_clicked"),  # a link scanner's click is not a person's
        (2, SENT, 4, "delivered", "unsubscribed"),
    ])  # fmt: skip
    _person(program, origin.MEMBER, created_days_ago=10, lessons=[
        (1, SENT, 5, "bounced"),
        (2, FAILED, None),
        (7, SCHEDULED, None),
    ])  # fmt: skip
    _person(program, origin.STAFF, created_days_ago=3, lessons=[
        (1, SENT, 2, "delivered", "opened", "clicked", "complained"),
    ])  # fmt: skip
    _person(program, origin.SIGNUP, created_days_ago=200, lessons=[
        (1, SENT, 150, "delivered"),
        (2, SENT, 149, "delivered", "opened"),
        (7, SENT, 140, "delivered", "clicked"),
        (14, FAILED, None),
    ])  # fmt: skip
    stranger = program_with_steps(28, name="Other", slug="other")
    _person(stranger, origin.ORDER, created_days_ago=1, status=Enrollment.Status.COMPLETED, lessons=[
        (1, SENT, 1, "delivered", "opened", "clicked"), (7, SENT, 1, "delivered"), (28, SENT, 1, "delivered"),
    ])  # fmt: skip
    return program


def _table(program, filters=NO_FILTERS) -> dict[int, tuple]:
    """lesson → (sent, delivered, opened, clicked, unsubscribed, bounced, complained), lessons with a send only."""
    rows = report.lesson_rows(program, filters)
    assert [row.lesson for row in rows] == list(range(1, len(rows) + 1))
    names = [name for name, _, _ in report.ENGAGEMENT]
    return {row.lesson: (row.sent, *(row.counts[name] for name in names)) for row in rows if row.sent}


def _funnel(program, filters=NO_FILTERS) -> list[tuple]:
    rows = report.lesson_rows(program, filters)
    return [(stage.label, stage.count, stage.rate) for stage in report.completion_funnel(program, filters, rows)]


# --- the figures ------------------------------------------------------------------------------------------


def test_issue15_lesson_counts_match_the_hand_count():
    program = seed_report_program()
    #                 sent deliv open click unsub bounce spam
    assert _table(program) == {
        1: (5, 4, 3, 2, 0, 1, 1),
        2: (3, 3, 2, 0, 1, 0, 0),
        7: (2, 2, 0, 1, 0, 0, 0),
        14: (1, 1, 1, 1, 0, 0, 0),
        28: (1, 1, 1, 1, 0, 0, 0),
    }


def test_issue15_rates_are_shares_of_the_sent_with_one_decimal():
    program = seed_report_program()
    rows = {row.lesson: row for row in report.lesson_rows(program, NO_FILTERS)}
    assert [(label, share) for label, _, share in rows[1].figures()] == [
        ("Delivered", report.rate(4, 5)),
        ("Opened", report.rate(3, 5)),
        ("Clicked", report.rate(2, 5)),
        ("Unsubscribed", report.rate(0, 5)),
        ("Bounced", report.rate(1, 5)),
        ("Marked as spam", report.rate(1, 5)),
    ]
    assert [str(share) for _, _, share in rows[2].figures()] == ["100.0", "66.7", "0.0", "33.3", "0.0", "0.0"]
    assert [str(share) for _, _, share in rows[1].figures()] == ["80.0", "60.0", "40.0", "0.0", "20.0", "20.0"]
    assert all(share is None for _, _, share in rows[3].figures())  # nothing sent: no rate, not 0 %
    totals = report.totals(list(rows.values()))
    assert (totals.sent, totals.counts["clicked"], str(totals.figures()[2][2])) == (12, 5, "41.7")


def test_issue15_funnel_matches_the_hand_count():
    program = seed_report_program()
    assert _funnel(program) == [
        ("Enrolled", 5, report.rate(5, 5)),
        ("Lesson 7", 2, report.rate(2, 5)),
        ("Lesson 14", 1, report.rate(1, 5)),
        ("Lesson 28", 1, report.rate(1, 5)),
        ("Completed", 1, report.rate(1, 5)),
    ]


def test_issue15_a_short_program_shows_only_the_stages_it_has():
    program = program_with_steps(10, slug="short")
    _person(program, Enrollment.Origin.SIGNUP, created_days_ago=30, status=Enrollment.Status.COMPLETED,
            lessons=[(7, SENT, 20, "delivered")])  # fmt: skip
    _person(program, Enrollment.Origin.SIGNUP, created_days_ago=30, lessons=[(1, SENT, 29)])
    assert [(label, count) for label, count, _ in _funnel(program)] == [
        ("Enrolled", 2),
        ("Lesson 7", 1),
        ("Completed", 1),
    ]


def test_issue15_period_filter_counts_lessons_sent_in_it_and_people_who_enrolled_in_it():
    program = seed_report_program()
    last_7 = report.ReportFilters(since=_ago(7))
    assert _table(program, last_7) == {1: (3, 2, 2, 1, 0, 1, 1), 2: (1, 1, 0, 0, 1, 0, 0)}
    assert [(label, count) for label, count, _ in _funnel(program, last_7)] == [
        ("Enrolled", 1), ("Lesson 7", 0), ("Lesson 14", 0), ("Lesson 28", 0), ("Completed", 0),
    ]  # fmt: skip
    last_30 = report.ReportFilters(since=_ago(30))
    assert _table(program, last_30) == {1: (3, 2, 2, 1, 0, 1, 1), 2: (1, 1, 0, 0, 1, 0, 0), 28: (1, 1, 1, 1, 0, 0, 0)}
    assert _funnel(program, last_30)[0][:2] == ("Enrolled", 3)


def test_issue15_origin_filter():
    program = seed_report_program()
    bought = report.ReportFilters(origin=Enrollment.Origin.ORDER)
    assert _table(program, bought) == {
        1: (1, 1, 1, 1, 0, 0, 0),
        2: (1, 1, 1, 0, 0, 0, 0),
        7: (1, 1, 0, 0, 0, 0, 0),
        14: (1, 1, 1, 1, 0, 0, 0),
        28: (1, 1, 1, 1, 0, 0, 0),
    }
    assert [(label, count) for label, count, _ in _funnel(program, bought)] == [
        ("Enrolled", 1), ("Lesson 7", 1), ("Lesson 14", 1), ("Lesson 28", 1), ("Completed", 1),
    ]  # fmt: skip
    signup = report.ReportFilters(origin=Enrollment.Origin.SIGNUP)
    assert _table(program, signup) == {1: (2, 2, 1, 0, 0, 0, 0), 2: (2, 2, 1, 0, 1, 0, 0), 7: (1, 1, 0, 1, 0, 0, 0)}
    assert [(label, count) for label, count, _ in _funnel(program, signup)] == [
        ("Enrolled", 2), ("Lesson 7", 1), ("Lesson 14", 0), ("Lesson 28", 0), ("Completed", 0),
    ]  # fmt: skip


# --- the admin pages --------------------------------------------------------------------------------------


def _staff(client, codenames=("view_program",), username="analyst"):
    user = get_user_model().objects.create_user(username, f"{username}@hodhod.example", "pw-123-secret", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="programs", codename__in=codenames))
    client.force_login(user)
    return client


def _url(program, suffix="report/") -> str:
    return f"/admin/programs/program/{program.pk}/{suffix}"


def test_issue15_the_page_shows_the_figures_charts_and_the_apple_caveat(client):
    program = seed_report_program()
    page = _staff(client).get(_url(program)).content.decode()
    assert "Apple Mail Privacy Protection" in page and "clicks are the figure to trust" in page
    assert page.count('<figure class="chart">') == 2
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert "80.0 %" in page and "66.7 %" in page
    assert "Lesson 28" in page and "Completed" in page


def test_issue15_the_page_filters_by_origin_and_dates(client):
    program = seed_report_program()
    client = _staff(client)
    page = client.get(_url(program), {"origin": "bought"})
    rows = {row.lesson: row.sent for row in page.context["rows"]}
    assert (rows[1], rows[2], rows[3], rows[7]) == (1, 1, 0, 1)
    since, until = (_ago(61).date(), _ago(45).date())  # A's lessons 1, 2 and 7 (60, 59 and 50 days ago)
    page = client.get(_url(program), {"date_from": since.isoformat(), "date_to": until.isoformat(), "period": "7"})
    assert {row.lesson: row.sent for row in page.context["rows"] if row.sent} == {1: 1, 2: 1, 7: 1}
    assert [(stage.label, stage.count, stage.rate) for stage in page.context["funnel"]][0] == ("Enrolled", 0, None)
    page = client.get(_url(program), {"period": "7"})
    assert {row.lesson: row.sent for row in page.context["rows"] if row.sent} == {1: 3, 2: 1}


def test_issue15_csv_has_the_table_with_the_same_filters(client):
    program = seed_report_program()
    response = _staff(client).get(_url(program, "report.csv"), {"origin": "signup"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="foundations-lessons.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == [
        "lesson", "subject", "sent", "delivered", "delivered %", "opened", "opened %", "clicked", "clicked %",
        "unsubscribed", "unsubscribed %", "bounced", "bounced %", "marked as spam", "marked as spam %",
    ]  # fmt: skip
    assert len(lines) == 29
    assert lines[1] == ["1", "Lesson 1", "2", "2", "100.0", "1", "50.0", "0", "0.0", "0", "0.0", "0", "0.0", "0", "0.0"]
    assert lines[2] == [
        "2",
        "Lesson 2",
        "2",
        "2",
        "100.0",
        "1",
        "50.0",
        "0",
        "0.0",
        "1",
        "50.0",
        "0",
        "0.0",
        "0",
        "0.0",
    ]
    assert lines[3] == ["3", "Lesson 3", "0", "0", "", "0", "", "0", "", "0", "", "0", "", "0", ""]
    assert lines[7][:9] == ["7", "Lesson 7", "1", "1", "100.0", "0", "0.0", "1", "100.0"]


def test_issue15_csv_cells_never_start_a_formula(client):
    program = seed_report_program()
    program.steps.update(subject='=HYPERLINK("http://evil.example")')
    lines = list(csv.reader(io.StringIO(_staff(client).get(_url(program, "report.csv")).content.decode())))
    assert lines[1][1] == '\'=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "forever"}, "Select a valid choice"),
        ({"origin": "aliens"}, "Select a valid choice"),
        ({"date_from": "2026-13-45"}, "Enter a valid date"),
        ({"date_from": "2026-06-02", "date_to": "2026-06-01"}, "The start date is after the end date."),
    ],
)
def test_issue15_bad_filters_get_a_friendly_400_never_a_500(client, query, message):
    program = seed_report_program()
    client = _staff(client)
    page = client.get(_url(program), query)
    assert page.status_code == 400
    assert message in page.content.decode() and "These filters cannot be used" in page.content.decode()
    export = client.get(_url(program, "report.csv"), query)
    assert export.status_code == 400 and message in export.content.decode()


def test_issue15_the_far_ends_of_the_calendar_are_not_an_error(client):
    program = seed_report_program()
    page = _staff(client).get(_url(program), {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert page.status_code == 200
    assert page.context["rows"][0].sent == 5


def test_issue15_only_staff_who_may_view_programs_see_it(client):
    program = seed_report_program()
    for suffix in ("report/", "report.csv"):
        anonymous = client.get(_url(program, suffix))
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    _staff(client, codenames=["view_enrollment"], username="clerk")
    assert client.get(_url(program)).status_code == 403
    assert client.get(_url(program, "report.csv")).status_code == 403
    _staff(client, username="analyst")
    assert client.get(_url(program)).status_code == 200
    assert client.get(_url(program, "report.csv")).status_code == 200
    assert client.get("/admin/programs/program/999999/report/").status_code == 404


def test_issue15_linked_from_the_program_list_and_its_page(client):
    program = seed_report_program()
    client = _staff(client)
    link = f'href="{_url(program)}"'
    assert link in client.get("/admin/programs/program/").content.decode()
    assert link in client.get(f"/admin/programs/program/{program.pk}/change/").content.decode()


# --- constant queries -------------------------------------------------------------------------------------


def _crowd(program, people: int) -> None:
    """`people` enrollments with every lesson sent, in a few statements."""
    enrollments = Enrollment.objects.bulk_create(
        EnrollmentFactory.build(program=program, origin=Enrollment.Origin.SIGNUP) for _ in range(people)
    )
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(enrollment=enrollment, step=step, status=SENT, due_at=now, sent_at=now, delivered_at=now)
        for enrollment in enrollments
        for step in program.steps.all()
    )


@pytest.mark.parametrize("people", [0, 60])
def test_issue15_the_report_costs_the_same_queries_whatever_the_data(client, django_assert_max_num_queries, people):
    program = program_with_steps(28, slug="crowded")
    _person(program, Enrollment.Origin.ORDER, created_days_ago=1, lessons=[(1, SENT, 1, "delivered")])
    _crowd(program, people)  # 60 people × 28 lessons: 1,680 more deliveries
    client = _staff(client)
    with django_assert_max_num_queries(4):  # the lessons, the per-lesson aggregate, the funnel's two
        rows = report.lesson_rows(program, report.ReportFilters(origin=Enrollment.Origin.SIGNUP))
        report.completion_funnel(program, report.ReportFilters(), rows)
    assert rows[0].sent == people
    with django_assert_max_num_queries(9):  # + session, user, permissions (2), program
        assert client.get(_url(program), {"period": "30", "origin": "signup"}).status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(_url(program, "report.csv")).status_code == 200
