"""Staff tools (admin) and the demo seed."""

import pytest
from django.contrib.auth import get_user_model

from programs import demo, enrollments
from programs.models import Delivery, Enrollment, Program
from tests.factories import ProductFactory, program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    return client


def test_program_admin_pages_render(staff_client):
    program = program_with_steps(3)
    for url in [
        "/admin/programs/program/",
        "/admin/programs/program/add/",
        "/admin/programs/step/",
        "/admin/programs/enrollment/add/",
        "/admin/core/suppression/",
        "/admin/core/suppression/add/",
    ]:
        assert staff_client.get(url).status_code == 200, url
    page = staff_client.get(f"/admin/programs/program/{program.pk}/change/")
    step = program.steps.get(day=0)
    assert page.status_code == 200 and f"/admin/programs/step/{step.pk}/preview/".encode() in page.content
    step_page = staff_client.get(f"/admin/programs/step/{step.pk}/change/")
    assert step_page.status_code == 200 and b"Preview and send a test" in step_page.content


def test_step_preview_shows_html_and_text_and_sends_a_test(staff_client, mailbox):
    step = program_with_steps(1).steps.get()
    preview = staff_client.get(f"/admin/programs/step/{step.pk}/preview/")
    assert preview.status_code == 200
    assert b"10 slow points" in preview.content  # text part
    html = staff_client.get(f"/admin/programs/step/{step.pk}/preview/html/")
    assert html.status_code == 200 and b"<strong>10 slow points</strong>" in html.content
    assert "style-src 'self' 'unsafe-inline'" in html["Content-Security-Policy"]  # the email's inline styles
    assert "frame-ancestors 'self'" in html["Content-Security-Policy"] and html["X-Frame-Options"] == "SAMEORIGIN"
    assert staff_client.post(f"/admin/programs/step/{step.pk}/send-test/").status_code == 302
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "boss@hodhod.example" and message["Subject"].startswith("[TEST]")


def test_enrollment_admin_add_filters_search_and_actions(staff_client):
    program = program_with_steps(2)
    response = staff_client.post(
        "/admin/programs/enrollment/add/",
        {
            "program": program.pk,
            "email": "hand@example.com",
            "name": "By Hand",
            "timezone": "Europe/Berlin",
            "send_hour": "9",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    enrollment = Enrollment.objects.get(email="hand@example.com")
    assert enrollment.origin == "staff" and enrollment.deliveries.count() == 2 and enrollment.send_hour == 9

    listing = staff_client.get("/admin/programs/enrollment/", {"status": "active", "origin": "staff", "q": "hand@"})
    assert listing.status_code == 200 and b"hand@example.com" in listing.content
    change = staff_client.get(f"/admin/programs/enrollment/{enrollment.pk}/change/")
    assert change.status_code == 200 and b"Scheduled" in change.content  # the delivery timeline

    def act(action):
        return staff_client.post("/admin/programs/enrollment/", {"action": action, "_selected_action": [enrollment.pk]})

    act("pause_selected")
    assert Enrollment.objects.get(pk=enrollment.pk).status == "paused"
    act("resume_selected")
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    enrollment.deliveries.filter(step__day=0).update(status=Delivery.Status.FAILED, last_error="550")
    act("resend_failed")
    assert enrollment.deliveries.get(step__day=0).status == Delivery.Status.SCHEDULED
    act("cancel_selected")
    assert Enrollment.objects.get(pk=enrollment.pk).status == "cancelled"


def test_staff_enrollment_refuses_an_unknown_timezone(staff_client):
    program = program_with_steps(1)
    response = staff_client.post(
        "/admin/programs/enrollment/add/",
        {"program": program.pk, "email": "x@example.com", "timezone": "Moon/Base", "send_hour": "9"},
    )
    assert response.status_code == 200 and not Enrollment.objects.exists()


def test_suppression_admin_add_ends_enrollments(staff_client):
    enrollment = enrollments.enroll(
        program=program_with_steps(1), email="b@example.com", origin="staff", now=utc(2026, 1, 5)
    )
    response = staff_client.post("/admin/core/suppression/add/", {"email": "B@example.com", "reason": "hard_bounce"})
    assert response.status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).status == "bounced"


def test_seed_demo_is_idempotent_and_grants_the_foosfoot():
    ProductFactory(slug="foosfoot", name="FoosFoot")
    first = demo.seed_demo()
    assert first
    assert demo.seed_demo() == []
    foundations = Program.objects.get(slug=demo.FOUNDATIONS_SLUG)
    assert foundations.steps.count() == 28 and not foundations.is_public
    assert list(foundations.granted_by.values_list("slug", flat=True)) == ["foosfoot"]
    starter = Program.objects.get(slug=demo.STARTER_SLUG)
    assert starter.steps.count() == 7 and starter.is_public


def test_seed_demo_without_the_product_grants_nothing():
    demo.seed_demo()
    assert not Program.objects.get(slug=demo.FOUNDATIONS_SLUG).granted_by.exists()


def test_api_schema_documents_the_program_endpoints(api_client):
    import yaml

    schema = yaml.safe_load(api_client.get("/api/schema/").content)
    paths = schema["paths"]
    for path in [
        "/api/programs/",
        "/api/programs/{slug}/signup/",
        "/api/enrollments/{token}/",
        "/api/enrollments/{token}/pause/",
        "/api/enrollments/{token}/resume/",
        "/api/enrollments/{token}/unsubscribe/",
    ]:
        assert path in paths
    assert "409" in paths["/api/enrollments/{token}/resume/"]["post"]["responses"]
    assert "400" in paths["/api/programs/{slug}/signup/"]["post"]["responses"]


def test_staff_change_of_send_hour_reschedules(staff_client):
    enrollment = enrollments.enroll(
        program=program_with_steps(2), email="c@example.com", origin="staff", now=utc(2026, 1, 5)
    )
    response = staff_client.post(
        f"/admin/programs/enrollment/{enrollment.pk}/change/",
        {
            "name": "Cee",
            "timezone": "Asia/Tokyo",
            "send_hour": "21",
            "deliveries-TOTAL_FORMS": "2",
            "deliveries-INITIAL_FORMS": "2",
            "deliveries-MIN_NUM_FORMS": "0",
            "deliveries-MAX_NUM_FORMS": "1000",
            **{f"deliveries-{n}-id": str(d.pk) for n, d in enumerate(enrollment.deliveries.order_by("due_at"))},
            **{f"deliveries-{n}-enrollment": str(enrollment.pk) for n in range(2)},
        },
    )
    assert response.status_code == 302, response.content[:3000]
    enrollment.refresh_from_db()
    assert (enrollment.name, enrollment.timezone, enrollment.send_hour) == ("Cee", "Asia/Tokyo", 21)
    from zoneinfo import ZoneInfo

    assert {d.due_at.astimezone(ZoneInfo("Asia/Tokyo")).hour for d in enrollment.deliveries.all()} == {21}


def test_staff_create_a_skip_weekend_program_with_ordered_steps(staff_client):
    product = ProductFactory()
    response = staff_client.post(
        "/admin/programs/program/add/",
        {
            "name": "Weekday drills",
            "slug": "weekday-drills",
            "description": "",
            "is_active": "on",
            "send_hour": "7",
            "send_weekdays": ["0", "1", "2", "3", "4"],
            "granted_by": [product.pk],
        },
    )
    assert response.status_code == 302, response.content[:3000]
    program = Program.objects.get(slug="weekday-drills")
    # Lessons are added on their own page (issue 11, item 12), each back to its program when saved.
    for day, subject, video in [("1", "Second", ""), ("0", "First", "https://video.example/1")]:
        added = staff_client.post(
            "/admin/programs/step/add/",
            {"program": program.pk, "day": day, "subject": subject, "body": subject, "video_url": video},
        )
        assert added.status_code == 302 and added["Location"] == f"/admin/programs/program/{program.pk}/change/"
    assert program.send_weekdays == [0, 1, 2, 3, 4] and program.weekdays == frozenset(range(5))
    assert list(program.steps.values_list("subject", flat=True)) == ["First", "Second"]
    assert list(program.granted_by.all()) == [product]
    page = staff_client.get(f"/admin/programs/program/{program.pk}/change/").content.decode()
    assert page.index("<td>First</td>") < page.index("<td>Second</td>")  # the lesson table, in day order
