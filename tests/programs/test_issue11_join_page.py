"""Issue 11, item 7: the free program can be found and joined on the site, not only through the API.

`/programs/<slug>/join/` says what the program is and takes the signup exactly as the API does: the
same service (double opt-in, the per-address limits), the same neutral answer, the same rate limit.
"""

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from programs import selectors
from programs.models import Enrollment
from tests.factories import program_with_steps

pytestmark = pytest.mark.django_db

JOIN = "/programs/starter/join/"
SENT = "Check your inbox"


@pytest.fixture
def starter():
    return program_with_steps(
        7, name="Seven-day starter", slug="starter", is_public=True, description="A free week of foot exercises."
    )


def join(client, **fields):
    data = {"email": "new@example.com", "name": "Noa", "timezone": "Europe/Berlin", "send_hour": "7", **fields}
    return client.post(JOIN, data)


def test_the_page_says_what_the_program_is_and_how_it_works(client, starter):
    response = client.get(JOIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Seven-day starter</h1>" in html
    assert "A free week of foot exercises." in html
    assert "7 lessons by email" in html and "7-day program" in html
    assert "We send you a link to confirm it" in html and "one short lesson a day" in html
    assert "csrfmiddlewaretoken" in html
    assert '<option value="8" selected>08:00</option>' in html  # the program's hour
    assert 'name="timezone"' in html and "/static/programs/join" in html  # the browser's zone fills it in
    assert "<script>" not in html and "style=" not in html  # nothing the CSP would block


def test_joining_asks_for_the_confirmation_as_the_api_does(
    client, starter, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = join(client)
    assert response.status_code == 200 and SENT in response.content.decode()
    enrollment = Enrollment.objects.get(program=starter)
    assert (enrollment.status, enrollment.email, enrollment.name) == ("pending_confirmation", "new@example.com", "Noa")
    assert (enrollment.timezone, enrollment.send_hour, enrollment.origin) == ("Europe/Berlin", 7, "signup")
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Confirm: Seven-day starter"
    assert not enrollment.deliveries.exists()


def test_the_answer_is_the_same_whether_or_not_a_mail_went(
    client, starter, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = join(client)
        again = join(client)  # within ten minutes: no second mail
    assert first.status_code == again.status_code == 200
    assert SENT in again.content.decode()
    Enrollment.objects.filter(program=starter).update(status="active")
    with django_capture_on_commit_callbacks(execute=True):
        enrolled = join(client)  # already enrolled: nothing happens, and nobody is told so
    assert enrolled.status_code == 200 and SENT in enrolled.content.decode()
    mailbox.wait_for(1)
    assert len(mailbox) == 1 and Enrollment.objects.filter(program=starter).count() == 1


def test_an_empty_zone_is_the_sites_as_in_the_api(client, starter, settings):
    assert join(client, timezone="").status_code == 200
    assert Enrollment.objects.get().timezone == settings.TIME_ZONE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"email": "x" * 250 + "@example.com"}, "at most 254 characters"),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone"),
        ({"timezone": "Europe/Berlin\x00"}, "Null characters are not allowed."),
        ({"send_hour": "24"}, "The send hour must be a whole number from 0 to 23."),
        ({"send_hour": "seven"}, "The send hour must be a whole number from 0 to 23."),
        ({"name": "n" * 201}, "at most 200 characters"),
    ],
    ids=["bad-email", "no-email", "long-email", "unknown-zone", "nul", "hour-24", "hour-word", "long-name"],
)
def test_bad_input_is_a_400_with_the_reason_beside_the_form(client, starter, fields, message):
    response = join(client, **fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'role="alert"' in html
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("slug", ["nothing-here", "paid-only", "retired"])
def test_unknown_paid_only_and_inactive_programs_are_a_friendly_404(client, starter, slug):
    program_with_steps(1, slug="paid-only", is_public=False)
    program_with_steps(1, slug="retired", is_public=True, is_active=False)
    for method in (client.get, client.post):
        response = method(f"/programs/{slug}/join/")
        assert response.status_code == 404
        assert "There is no free program here" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_the_form_needs_its_csrf_token(starter):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(JOIN, {"email": "new@example.com", "send_hour": "7"})
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def test_the_page_and_the_api_share_the_signup_rate_limit(client, api_client, starter, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "signup", "3/hour")
    assert join(client, email="a@example.com").status_code == 200
    assert (
        api_client.post("/api/programs/starter/signup/", {"email": "b@example.com"}, format="json").status_code == 202
    )
    assert join(client, email="c@example.com").status_code == 200
    limited = join(client, email="d@example.com")
    assert limited.status_code == 429
    assert "Too many signups from here" in limited.content.decode() and int(limited["Retry-After"]) > 0
    assert (
        api_client.post("/api/programs/starter/signup/", {"email": "e@example.com"}, format="json").status_code == 429
    )
    assert client.get(JOIN).status_code == 200  # reading the page is not limited
    assert Enrollment.objects.count() == 3


def test_the_home_page_links_the_free_programs_only(client, starter):
    program_with_steps(1, name="Bought only", slug="paid-only", is_public=False)
    html = client.get("/").content.decode()
    assert 'href="/programs/starter/join/"' in html and "Seven-day starter" in html
    assert "/programs/paid-only/join/" not in html
    assert [program.slug for program in selectors.joinable_programs()] == ["starter"]
    assert selectors.joinable_programs().get().lesson_count == 7


def test_the_join_page_costs_the_same_queries_for_7_and_60_lessons(client, starter, django_assert_max_num_queries):
    program_with_steps(60, slug="long", is_public=True)
    for url in (JOIN, "/programs/long/join/"):
        with django_assert_max_num_queries(3):
            assert client.get(url).status_code == 200
