"""Pages, API answers and admin screens of programs cost the same number of queries for 2 rows or 12."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import enrollments
from programs.models import Enrollment
from tests.factories import ProgramFactory, program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db
FUTURE_MONDAY = utc(2030, 3, 4, 12)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    return client


def _world(size: int, tag: str) -> Enrollment:
    """`size` public programs of `size` lessons (and as many without any), `size` enrollments in the last."""
    for n in range(size):
        program = program_with_steps(size, is_public=True, name=f"{tag} {n}", slug=f"{tag}-{n}")
        ProgramFactory(is_public=True, name=f"{tag} empty {n}", slug=f"{tag}-empty-{n}")
    for n in range(size):
        enrollment = enrollments.enroll(
            program=program, email=f"{tag}{n}@example.com", origin="staff", now=FUTURE_MONDAY
        )
    return enrollment


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(context.captured_queries)


def _urls(enrollment: Enrollment) -> list[str]:
    program = enrollment.program
    return [
        "/admin/programs/program/",
        f"/admin/programs/program/{program.pk}/change/",
        "/admin/programs/step/",
        f"/admin/programs/step/?program__id__exact={program.pk}",
        "/admin/programs/enrollment/",
        f"/admin/programs/enrollment/{enrollment.pk}/change/",
        "/admin/core/suppression/",
        f"/admin/programs/step/{program.steps.order_by('day').first().pk}/delete/",  # lists its deliveries
        f"/admin/programs/enrollment/{enrollment.pk}/delete/",
        f"/programs/{enrollment.token}/",
        f"/programs/{enrollment.token}/unsubscribe/",
    ]


def test_admin_and_pages_do_not_query_per_row(staff_client, django_assert_max_num_queries):
    small = [_count(staff_client, url) for url in _urls(_world(2, "small"))]
    large_enrollment = _world(12, "large")
    for url, allowed in zip(_urls(large_enrollment), small, strict=True):
        with django_assert_max_num_queries(allowed):
            assert staff_client.get(url).status_code == 200, url


def test_program_list_api_does_not_query_per_program(api_client, django_assert_max_num_queries):
    _world(2, "small")
    with CaptureQueriesContext(connection) as context:
        answer = api_client.get("/api/programs/")
    lessons = {row["slug"]: row["lessons"] for row in answer.json()["results"]}
    assert lessons == {"small-0": 2, "small-1": 2, "small-empty-0": 0, "small-empty-1": 0}
    _world(12, "large")
    with django_assert_max_num_queries(len(context.captured_queries)):
        assert len(api_client.get("/api/programs/").json()["results"]) == 20  # a full page


def test_enrollment_progress_counts_only_its_own_sent_lessons(api_client, send_now, mailbox):
    program = program_with_steps(3)
    mine = enrollments.enroll(program=program, email="mine@example.com", origin="staff", now=utc(2026, 3, 2, 6))
    enrollments.enroll(program=program, email="other@example.com", origin="staff", now=utc(2026, 3, 2, 6))
    send_now(utc(2026, 3, 3, 12))  # two lessons each
    enrollments.pause(enrollment=mine, now=utc(2026, 3, 3, 12))
    body = api_client.get(f"/api/enrollments/{mine.token}/").json()
    assert (body["lessons_sent"], body["lessons_total"]) == (2, 3)
