"""Bad input gets a clear 4xx (API, one error shape) or a friendly page, and changes nothing."""

import pytest
from django.test import Client

from programs import enrollments
from programs.models import Enrollment
from tests.factories import program_with_steps
from tests.programs.conftest import utc

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrollment():
    return enrollments.enroll(
        program=program_with_steps(2, slug="starter", is_public=True),
        email="pat@example.com",
        origin="staff",
        timezone_name="Europe/Berlin",
        now=utc(2026, 5, 4, 5),
    )


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message"]
    return body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({}, "email"),
        ({"email": "a@example.com", "send_hour": 24}, "send_hour"),
        ({"email": "a@example.com", "send_hour": -1}, "send_hour"),
        ({"email": "a@example.com", "send_hour": "eight"}, "send_hour"),
        ({"email": "a@example.com", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"email": "a@example.com", "timezone": "../../etc/passwd"}, "timezone"),
        ({"email": ["a@example.com"]}, "email"),
    ],
)
def test_signup_refuses_invalid_fields(api_client, enrollment, payload, field):
    before = Enrollment.objects.count()
    body = _assert_error(
        api_client.post("/api/programs/starter/signup/", payload, format="json"), 400, "validation_error"
    )
    assert field in body["fields"]
    assert Enrollment.objects.count() == before


def test_signup_refuses_unknown_or_purchase_only_programs(api_client):
    program_with_steps(1, slug="paid-only", is_public=False)
    _assert_error(
        api_client.post("/api/programs/nope/signup/", {"email": "a@example.com"}, format="json"), 404, "not_found"
    )
    _assert_error(
        api_client.post("/api/programs/paid-only/signup/", {"email": "a@example.com"}, format="json"), 404, "not_found"
    )
    assert not Enrollment.objects.exists()


def test_signup_refuses_malformed_json(api_client, enrollment):
    response = api_client.generic("POST", "/api/programs/starter/signup/", "{not json", content_type="application/json")
    _assert_error(response, 400, "malformed_request")
    _assert_error(
        api_client.post("/api/programs/starter/signup/", "[1, 2]", content_type="application/json"),
        400,
        "validation_error",
    )


@pytest.mark.parametrize("token", ["x", "short", "a" * 65, "%00%00", "' OR 1=1 --", "A" * 43])
@pytest.mark.parametrize("action", ["", "pause/", "resume/", "unsubscribe/"])
def test_unknown_or_malformed_tokens_are_404(api_client, enrollment, token, action):
    response = api_client.generic("GET" if not action else "POST", f"/api/enrollments/{token}/{action}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_enrollment_api_pause_resume_unsubscribe(api_client, enrollment):
    base = f"/api/enrollments/{enrollment.token}/"
    assert api_client.get(base).json()["status"] == "active"
    assert api_client.post(base + "pause/").json()["status"] == "paused"
    _assert_error(api_client.post(base + "pause/"), 409, "already_paused")
    assert api_client.post(base + "resume/").json()["status"] == "active"
    _assert_error(api_client.post(base + "resume/"), 409, "not_paused")
    assert api_client.post(base + "unsubscribe/").json()["status"] == "unsubscribed"
    _assert_error(api_client.post(base + "unsubscribe/"), 409, "already_unsubscribed")
    _assert_error(api_client.post(base + "resume/"), 409, "not_paused")
    _assert_error(api_client.get(base + "pause/"), 405, "method_not_allowed")
    assert api_client.get(base).json()["status"] == "unsubscribed"


def test_resuming_a_completed_program_is_refused(api_client, enrollment):
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.COMPLETED)
    _assert_error(api_client.post(f"/api/enrollments/{enrollment.token}/resume/"), 409, "not_paused")
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.COMPLETED


def test_public_program_list(api_client, enrollment):
    program_with_steps(1, slug="hidden", is_public=False)
    body = api_client.get("/api/programs/").json()
    assert [p["slug"] for p in body["results"]] == ["starter"]
    assert body["results"][0]["lessons"] == 2


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/programs/{bad}/", "/programs/{bad}/unsubscribe/"])
@pytest.mark.parametrize("bad", ["nope", "a" * 43, "<script>", "a" * 200])
def test_unknown_tokens_get_a_friendly_page(client, path, bad):
    response = client.get(path.format(bad=bad))
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    assert client.post(path.format(bad=bad)).status_code == 404


def test_manage_page_pause_resume_and_send_hour(enrollment):
    browser = Client(enforce_csrf_checks=False)
    url = f"/programs/{enrollment.token}/"
    page = browser.get(url)
    assert page.status_code == 200 and b"Pause the lessons" in page.content
    assert browser.post(url, {"action": "pause"}).status_code == 200
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.PAUSED
    assert browser.post(url, {"action": "pause"}).status_code == 400  # already paused: friendly, unchanged
    assert browser.post(url, {"action": "resume"}).status_code == 200
    assert (
        browser.post(url, {"action": "send_time", "send_hour": "19", "timezone": "America/Chicago"}).status_code == 200
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.send_hour, enrollment.timezone) == ("active", 19, "America/Chicago")


@pytest.mark.parametrize(
    "data",
    [
        {"action": "send_time", "send_hour": "24"},
        {"action": "send_time", "send_hour": "-1"},
        {"action": "send_time", "send_hour": "7.5"},
        {"action": "send_time", "send_hour": ""},
        {"action": "send_time", "send_hour": "8", "timezone": "Nowhere/Special"},
        {"action": "explode"},
        {},
    ],
)
def test_manage_page_bad_input_is_friendly_and_changes_nothing(client, enrollment, data):
    response = client.post(f"/programs/{enrollment.token}/", data)
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    enrollment.refresh_from_db()
    assert (enrollment.send_hour, enrollment.timezone, enrollment.status) == (8, "Europe/Berlin", "active")


def test_manage_page_needs_csrf(enrollment):
    response = Client(enforce_csrf_checks=True).post(f"/programs/{enrollment.token}/", {"action": "pause"})
    assert response.status_code == 403
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.ACTIVE


def test_unsubscribe_page_get_confirms_post_unsubscribes_twice_ok(enrollment):
    browser = Client(enforce_csrf_checks=True)
    url = f"/programs/{enrollment.token}/unsubscribe/"
    page = browser.get(url)
    assert page.status_code == 200 and b"Unsubscribe from" in page.content
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.ACTIVE  # GET changes nothing
    for _ in range(2):
        response = browser.post(url)
        assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.UNSUBSCRIBED


@pytest.mark.parametrize("signed", ["garbage", "eyJlIjoxfQ:1abc:tampered", "a" * 300])
def test_bad_confirmation_links_are_friendly(client, signed):
    response = client.get(f"/programs/{signed}/confirm/")
    assert response.status_code == 400
    assert b"confirmation link does not work" in response.content
    assert client.post(f"/programs/{signed}/confirm/").status_code == 400


def test_signup_is_throttled_with_the_error_shape(api_client, enrollment, django_capture_on_commit_callbacks):
    for n in range(20):
        api_client.post("/api/programs/starter/signup/", {"email": f"s{n}@example"}, format="json")  # invalid: no mail
    body = _assert_error(
        api_client.post("/api/programs/starter/signup/", {"email": "s@example.com"}, format="json"), 429, "throttled"
    )
    assert body["message"]


def test_enrollment_reads_use_a_fixed_number_of_queries(api_client, client, enrollment, django_assert_max_num_queries):
    enrollment.deliveries.filter(step__day=0).update(status="sent")
    with django_assert_max_num_queries(3):
        body = api_client.get(f"/api/enrollments/{enrollment.token}/").json()
    assert (body["lessons_sent"], body["lessons_total"]) == (1, 2)
    with django_assert_max_num_queries(6):  # enrollment, progress, next lesson (+ session bookkeeping)
        assert client.get(f"/programs/{enrollment.token}/").status_code == 200
    with django_assert_max_num_queries(2):
        assert len(api_client.get("/api/programs/").json()["results"]) == 1
