"""The pages a lesson email's secret link opens are never kept by a browser or a shared cache, like the order
and checkout pages (issue 10, item 12). Found by the outside probe of 2026-11-30: the manage page, the
unsubscribe page and the signup confirmation answered with no Cache-Control at all."""

import pytest

from programs.confirmations import signup_token
from programs.models import Enrollment
from tests.factories.programs import EnrollmentFactory

pytestmark = pytest.mark.django_db


def assert_not_cacheable(response) -> None:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, response.get("Cache-Control")


def test_manage_and_unsubscribe_pages_are_private_and_not_stored(client):
    enrollment = EnrollmentFactory()
    for page in (f"/programs/{enrollment.token}/", f"/programs/{enrollment.token}/unsubscribe/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert_not_cacheable(response)
    answered = client.post(f"/programs/{enrollment.token}/unsubscribe/", {"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200
    assert_not_cacheable(answered)
    unknown = client.get("/programs/" + "x" * 43 + "/")
    assert unknown.status_code == 404
    assert_not_cacheable(unknown)


def test_signup_confirmation_page_is_private_and_not_stored(client):
    enrollment = EnrollmentFactory(status=Enrollment.Status.PENDING_CONFIRMATION)
    response = client.get(f"/programs/{signup_token(enrollment)}/confirm/")
    assert response.status_code == 200
    assert_not_cacheable(response)
    assert_not_cacheable(client.get("/programs/not-a-signed-value/confirm/"))
