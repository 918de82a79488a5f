"""Self-service: the subscription by its token, Stripe's customer portal from the API, from `/account/billing/`
(a token, the joining browser's session, or the signed link of a membership email: GET shows a button, POST
opens the portal), and the programs a membership grants, filled by whoever registers them."""

import re

import pytest
from django.core import mail, signing

from billing.links import SALT, portal_link
from billing.models import Subscription
from billing.selectors import _granted_programs, register_granted_programs
from core.redaction import redact
from tests.billing.conftest import join, pay, subscription_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(stripe_api, monthly, stripe_events, deliver):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    return subscription_of(result)


def test_plans_are_listed_with_their_terms(api_client, monthly, yearly):
    body = api_client.get("/api/plans/").json()
    assert [plan["slug"] for plan in body] == ["coach-monthly", "coach-yearly"]
    assert body[1] == {
        "slug": "coach-yearly",
        "name": "FoosFoot Coach, yearly",
        "description": "",
        "price": "90.00",
        "currency": "USD",
        "interval": "year",
        "trial_days": 0,
    }


def test_a_subscription_by_its_token_says_its_state_as_stripe_last_reported_it(api_client, member):
    body = api_client.get(f"/api/subscriptions/{member.token}/").json()

    assert set(body) == {"token", "plan", "status", "current_period_end", "cancel_at_period_end", "programs"}
    assert body["plan"]["slug"] == "coach-monthly"
    assert (body["status"], body["cancel_at_period_end"], body["programs"]) == ("active", False, [])
    assert body["current_period_end"].startswith(str(member.current_period_end.year))
    assert api_client.get("/api/subscriptions/" + "x" * 43 + "/").json()["code"] == "not_found"


def test_programs_fill_the_list_through_the_hook(api_client, member, monkeypatch):
    monkeypatch.setattr("billing.selectors._granted_programs", list(_granted_programs))

    @register_granted_programs
    def grants(subscription):
        return [{"slug": "advanced", "name": f"Advanced ({subscription.plan.slug})"}]

    body = api_client.get(f"/api/subscriptions/{member.token}/").json()
    assert body["programs"] == [{"slug": "advanced", "name": "Advanced (coach-monthly)"}]


def test_the_portal_api_opens_stripes_portal_for_the_members_customer(api_client, stripe_api, member):
    response = api_client.post(f"/api/subscriptions/{member.token}/portal/")

    assert response.status_code == 201
    url = response.json()["url"]
    portal = stripe_api.portal_sessions[url.rsplit("/", 1)[1]]
    assert portal["customer"] == member.customer.stripe_customer_id
    assert portal["return_url"] == "http://testserver/membership/"
    assert portal["configuration"] in stripe_api.portal_configurations


def test_account_billing_by_signed_link_shows_a_button_and_only_its_post_opens_the_portal(client, stripe_api, member):
    link = portal_link(member).split("?link=")[1]

    page = client.get("/account/billing/", {"link": link})
    assert page.status_code == 200 and b"Open the membership portal" in page.content
    assert stripe_api.portal_sessions == {}  # a mail scanner following the link opens nothing
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]

    response = client.post("/account/billing/", {"link": link})
    assert response.status_code == 303
    assert response["Location"].startswith(stripe_api.base_url + "/portal/bps_")


def test_account_billing_takes_the_token_or_the_joining_browsers_session(client, stripe_api, monthly, member):
    assert client.post("/account/billing/", {"subscription": member.token}).status_code == 303
    assert client.get(f"/account/billing/?subscription={member.token}").status_code == 200

    client.post("/membership/", {"plan": "coach-monthly", "email": "eli@example.com"})  # this browser joins
    assert client.post("/account/billing/").status_code == 303


@pytest.mark.parametrize(
    "field",
    [
        {"link": "forged"},
        {"link": signing.dumps(10**9, salt=SALT)},
        {"link": signing.dumps(1, salt="another")},
        {"subscription": "x" * 43},
        {"subscription": "bad\x00token"},
    ],
)
def test_account_billing_refuses_what_names_no_membership(client, stripe_api, member, field):
    assert client.post("/account/billing/", field).status_code == 404
    assert client.get("/account/billing/", field).status_code == 404
    assert stripe_api.portal_sessions == {}


def test_the_payment_failed_email_links_to_a_page_that_opens_the_portal(
    client, stripe_api, member, stripe_events, deliver
):
    stripe_api.set_card_failing(member.customer.stripe_customer_id, True)
    stripe_events.take()
    stripe_api.advance_clock(31 * 86400)
    deliver(stripe_events.take())

    message = next(m for m in mail.outbox if "did not go through" in m.subject)
    assert message.to == ["dana@example.com"]
    assert "9.00 USD" in message.body
    url = re.search(r"http://testserver(/account/billing/\?link=\S+)", message.body).group(1)
    assert url in message.alternatives[0][0]
    assert client.get(url).status_code == 200
    link = url.split("link=")[1]
    assert client.post("/account/billing/", {"link": link}).status_code == 303


def test_the_success_page_shows_the_membership_and_asks_stripe_only_while_it_has_not_started(
    client, stripe_api, monthly
):
    result = join(monthly)
    pay(stripe_api, result.session_id)  # no webhook has arrived yet

    page = client.get("/membership/success/", {"session_id": result.session_id})

    assert page.status_code == 200 and b"Welcome to FoosFoot Coach" in page.content
    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert "no-store" in page["Cache-Control"]
    calls = len(stripe_api.api_calls)
    client.get("/membership/success/", {"session_id": result.session_id})
    assert len(stripe_api.api_calls) == calls
    assert client.get("/membership/success/", {"session_id": "cs_unknown"}).status_code == 404
    assert len(stripe_api.api_calls) == calls


def test_membership_tokens_and_signed_links_are_shortened_in_logs(member):
    link = portal_link(member).split("?link=")[1]
    for text in (
        f"/api/subscriptions/{member.token}/portal/",
        f"/account/billing/?subscription={member.token}",
        f"/account/billing/?link={link}",
    ):
        assert member.token not in redact(text) and link not in redact(text)
        assert "…" in redact(text)
