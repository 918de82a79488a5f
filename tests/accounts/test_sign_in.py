"""Issue 14: signing in by an emailed link, over real SMTP. One answer for every address; a link works once, for
15 minutes, for its own address, from whichever browser POSTs it; mail scanners sign no one in; limits per address
and per client; the customer's session lasts 30 days and leaves a staff session as it was."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from accounts import sessions
from accounts.links import request_sign_in_link, token_hash
from accounts.models import SignInLink
from core.redaction import redact_path
from tests.accounts.conftest import make_link, sign_in_as
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://\S+/account/sign-in/([A-Za-z0-9_-]+)/")


def link_from(message) -> str:
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, message.get_body(("plain",)).get_content()
    return match.group(1)


def signed_in_as(client: Client) -> str | None:
    response = client.get("/account/")
    match = re.search(r'id="account-email">([^<]+)<', response.content.decode())
    return match.group(1) if match else None


def test_issue14_the_api_and_the_form_answer_the_same_whatever_the_address(api_client, client, mailbox, settings):
    settings.ACCOUNT_SIGN_IN_LINKS_PER_EMAIL = 1
    OrderFactory(email="known@example.com")
    answers = set()
    for email in ["known@example.com", "stranger@example.com", "known@example.com"]:  # the third is over the limit
        response = api_client.post("/api/account/sign-in/", {"email": email}, format="json")
        answers.add((response.status_code, response.content))
    assert len(answers) == 1 and next(iter(answers))[0] == 202

    pages = set()
    for email in ["known@example.com", "stranger@example.com", "known@example.com"]:
        response = client.post("/account/", {"action": "sign_in", "email": email})
        assert response.status_code == 200
        pages.add(response.content.decode().replace(email, "ADDRESS"))
    assert len(pages) == 1
    assert sorted(message["To"] for message in mailbox.wait_for(2)) == ["known@example.com", "stranger@example.com"]


def test_issue14_a_link_shows_a_button_on_get_and_signs_in_once_on_post(client, mailbox):
    OrderFactory(email="dana@example.com")
    request_sign_in_link(email="dana@example.com")
    token = link_from(mailbox.wait_for(1)[0])

    page = client.get(f"/account/sign-in/{token}/")  # what a mail scanner does
    assert page.status_code == 200 and b"Sign in</button>" in page.content
    assert signed_in_as(client) is None
    assert SignInLink.objects.get().used_at is None

    response = client.post(f"/account/sign-in/{token}/")
    assert response.status_code == 303 and response["Location"] == "/account/"
    assert signed_in_as(client) == "dana@example.com"

    again = Client().post(f"/account/sign-in/{token}/")
    assert again.status_code == 410 and b"has been used" in again.content
    assert Client().get(f"/account/sign-in/{token}/").status_code == 410


def test_issue14_only_a_hash_of_the_token_is_stored_and_logs_shorten_it(mailbox):
    request_sign_in_link(email="dana@example.com")
    token = link_from(mailbox.wait_for(1)[0])
    link = SignInLink.objects.get()
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert len(token) >= 43  # 256 bits, URL-safe
    assert token not in redact_path(f"/account/sign-in/{token}/")


def test_issue14_a_link_expires_after_fifteen_minutes(client, monkeypatch):
    token = make_link("dana@example.com")
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(f"/account/sign-in/{token}/").status_code == 410
    response = client.post(f"/account/sign-in/{token}/")
    assert response.status_code == 410 and b"has expired" in response.content
    assert signed_in_as(client) is None


def test_issue14_an_unknown_or_malformed_link_signs_no_one_in(client):
    for token in ["x" * 43, "short", "a" * 300, "%00"]:
        assert client.post(f"/account/sign-in/{token}/").status_code in (404, 410)
    assert signed_in_as(client) is None


def test_issue14_a_link_posted_from_another_browser_works_once_then_is_dead():
    token = make_link("dana@example.com")
    asked_here, opened_there = Client(), Client()
    asked_here.post("/account/", {"action": "sign_in", "email": "dana@example.com"})
    assert opened_there.post(f"/account/sign-in/{token}/").status_code == 303
    assert signed_in_as(opened_there) == "dana@example.com"
    assert signed_in_as(asked_here) is None
    assert asked_here.post(f"/account/sign-in/{token}/").status_code == 410
    assert signed_in_as(asked_here) is None


def test_issue14_a_link_used_in_another_customers_session_signs_in_as_the_links_address(client):
    sign_in_as(client, "first@example.com")
    old_key = client.session.session_key
    response = client.post(f"/account/sign-in/{make_link('second@example.com')}/", follow=True)
    assert signed_in_as(client) == "second@example.com"
    assert "no longer as first@example.com" in response.content.decode()
    assert client.session.session_key != old_key  # a fresh session: nothing of the first customer's carries over


def test_issue14_fifty_asks_for_one_address_send_a_few_links_and_get_the_same_answer(api_client, mailbox):
    answers = {
        api_client.post("/api/account/sign-in/", {"email": "Dana@Example.com"}, format="json").content
        for _ in range(50)
    }
    assert len(answers) == 1
    assert len(mailbox.wait_for(1)) <= 3
    assert SignInLink.objects.count() <= 3


def test_issue14_asks_from_one_client_are_limited_per_hour(api_client, mailbox, settings):
    settings.ACCOUNT_SIGN_IN_REQUESTS_PER_CLIENT_PER_HOUR = 5
    statuses = {
        api_client.post("/api/account/sign-in/", {"email": f"person{n}@example.com"}, format="json").status_code
        for n in range(12)
    }
    assert statuses == {202}
    mailbox.wait_for(5)
    assert SignInLink.objects.count() == 5


def test_issue14_mixed_case_and_unicode_addresses_are_one_customer_with_orders_from_before_sign_in(client):
    OrderFactory(email="Dana.Smith@Bücher.Example", number="HH-OLD001")  # placed long before any account existed
    OrderFactory(email="dana.smith@BÜCHER.example", number="HH-OLD002")
    OrderFactory(email="dana.smith@buecher.example", number="HH-OTHER1")  # another address altogether
    sign_in_as(client, "  DANA.smith@bücher.EXAMPLE ")
    page = client.get("/account/").content.decode()
    assert signed_in_as(client) == "dana.smith@bücher.example"
    assert "HH-OLD001" in page and "HH-OLD002" in page and "HH-OTHER1" not in page


def test_issue14_the_invalid_address_is_refused_in_the_one_error_shape(api_client, client):
    response = api_client.post("/api/account/sign-in/", {"email": "not-an-address"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error" and "email" in response.json()["fields"]
    page = client.post("/account/", {"action": "sign_in", "email": "not-an-address"})
    assert page.status_code == 400 and b"Enter a valid email address" in page.content


def test_issue14_the_customer_session_lasts_thirty_days(client, monkeypatch):
    sign_in_as(client, "dana@example.com")
    assert client.session.get_expiry_age() == 30 * 86400
    assert client.cookies["sessionid"]["max-age"] == 30 * 86400

    class ThirtyOneDaysLater:
        @staticmethod
        def time():
            return timezone.now().timestamp() + 31 * 86400

    monkeypatch.setattr(signing, "time", ThirtyOneDaysLater)  # the signed value's own age limit
    assert signed_in_as(client) is None


def test_issue14_a_staff_session_keeps_its_expiry_and_survives_the_customers_sign_out(client, django_user_model):
    staff = django_user_model.objects.create_user("clerk", "clerk@hodhod.example", "pw-clerk-123", is_staff=True)
    client.force_login(staff)
    staff_age = client.session.get_expiry_age()
    sign_in_as(client, "dana@example.com")
    assert client.session.get_expiry_age() == staff_age  # not the customer's 30 days
    assert signed_in_as(client) == "dana@example.com"
    assert client.post("/account/sign-out/").status_code == 303
    assert signed_in_as(client) is None
    assert client.get("/admin/").status_code == 200  # still signed in as staff


def test_issue14_a_staff_sign_in_after_a_customer_gets_the_sites_session_length(client, django_user_model):
    sign_in_as(client, "dana@example.com")
    staff = django_user_model.objects.create_user("clerk", "clerk@hodhod.example", "pw-clerk-123", is_staff=True)
    client.force_login(staff)
    assert "_session_expiry" not in client.session


def test_issue14_sign_out_ends_the_customer_session(client):
    sign_in_as(client, "dana@example.com")
    assert client.get("/account/sign-out/").status_code == 405  # only a POST signs out
    assert client.post("/account/sign-out/").status_code == 303
    assert signed_in_as(client) is None
    assert sessions.SESSION_KEY not in client.session
