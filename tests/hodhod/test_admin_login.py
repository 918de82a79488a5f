"""Issue 10, item 10: the admin login is limited per user and client address.

Five wrong passwords in a row for one user from one address lock that pair out for
ADMIN_LOGIN_LOCKOUT_MINUTES: the next attempt is refused even with the right password. Another
address, or another user, is not locked; after the window the right password works again.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-right-password-1"
HOME = "203.0.113.5"
ELSEWHERE = "198.51.100.7"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD, is_staff=True)


def log_in(client, username: str, password: str, address: str = HOME):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail_five_times(client, username: str = "editor", address: str = HOME) -> None:
    for attempt in range(1, 6):
        response = log_in(client, username, "wrong-password", address)
        # The form again with its error, and at the fifth the lockout itself.
        assert response.status_code == (200 if attempt < 5 else 429), attempt
        assert "_auth_user_id" not in client.session


def test_issue10_item10_sixth_attempt_after_five_wrong_passwords_is_refused_even_when_right(client, editor):
    fail_five_times(client)
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_issue10_item10_the_lockout_is_for_that_user_from_that_address(client, editor, django_user_model):
    django_user_model.objects.create_user("writer", "writer@example.com", PASSWORD, is_staff=True)
    fail_five_times(client)

    assert log_in(client, "writer", PASSWORD).status_code == 302  # another user, same address
    client.logout()
    assert log_in(client, "editor", PASSWORD, address=ELSEWHERE).status_code == 302  # same user, elsewhere
    client.logout()
    assert log_in(client, "editor", PASSWORD).status_code == 429  # the locked pair stays locked


def test_issue10_item10_a_proxy_address_is_not_the_client_address(client, editor, settings):
    """Behind NUM_PROXIES proxies, the client is the address the nearest proxy saw, not the proxy."""
    settings.NUM_PROXIES = 1
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "editor", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {HOME}",  # the first one is whatever the client sent
        )
    elsewhere = client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ELSEWHERE}",
    )
    assert elsewhere.status_code == 302
    client.logout()
    locked = client.post(
        "/admin/login/", {"username": "editor", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=HOME
    )
    assert locked.status_code == 429


def test_issue10_item10_login_works_again_after_the_lockout_window(client, editor):
    fail_five_times(client)
    assert log_in(client, "editor", PASSWORD).status_code == 429
    window = timedelta(minutes=settings.ADMIN_LOGIN_LOCKOUT_MINUTES)
    assert timedelta(minutes=1) <= window <= timedelta(minutes=60)  # a few minutes, not a permanent lock

    # The window passes: the recorded failures become older than it.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - window - timedelta(seconds=1))
    response = log_in(client, "editor", PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200

    client.logout()  # and a success starts the count afresh
    for _ in range(4):
        log_in(client, "editor", "wrong-password")
    assert log_in(client, "editor", PASSWORD).status_code == 302
