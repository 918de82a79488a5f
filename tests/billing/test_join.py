"""Joining: `/membership/` and `POST /api/plans/<slug>/checkout/` open a local subscription (`incomplete`, an
unguessable token) and Stripe Checkout in subscription mode; limits per client and per email; refusals in the
one error shape."""

from decimal import Decimal

import pytest

from billing.models import BillingCustomer, Plan, Subscription
from tests.billing.conftest import DAY, join, pay

pytestmark = pytest.mark.django_db


def checkout_calls(emu) -> list[dict]:
    return [c for c in emu.api_calls if c["method"] == "POST" and c["path"] == "/v1/checkout/sessions"]


def test_the_api_opens_stripe_checkout_in_subscription_mode_for_an_incomplete_membership(
    api_client, stripe_api, monthly
):
    response = api_client.post("/api/plans/coach-monthly/checkout/", {"email": " Dana@Example.com "}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"checkout_url", "checkout_session_id", "subscription"}
    subscription = Subscription.objects.get()
    assert body["subscription"] == {"token": subscription.token, "status": "incomplete"}
    assert len(subscription.token) >= 43  # 256 bits, URL-safe
    assert subscription.email == "dana@example.com"
    assert (subscription.amount, subscription.currency, subscription.interval) == (Decimal("9.00"), "USD", "month")
    session = stripe_api.session(body["checkout_session_id"])
    assert body["checkout_url"] == session["url"]
    assert session["mode"] == "subscription"
    assert session["client_reference_id"] == subscription.reference
    assert session["customer"] == subscription.customer.stripe_customer_id
    assert session["success_url"] == "http://testserver/membership/success/?session_id={CHECKOUT_SESSION_ID}"
    call = checkout_calls(stripe_api)[0]
    assert call["params"]["line_items"] == [{"price": Plan.objects.get().stripe_price_id, "quantity": "1"}]
    assert call["params"]["allow_promotion_codes"] == "true"
    assert call["params"]["subscription_data"]["metadata"] == {"hodhod_subscription": subscription.reference}
    assert call["idempotency_key"] == subscription.idempotency_key("checkout-session")
    assert call["stripe_version"] == "2026-10-28.endive"


def test_the_first_join_syncs_its_plan_and_the_stripe_customer_of_an_email_is_reused(
    stripe_api, monthly, stripe_events, deliver
):
    first = join(monthly, "dana@example.com")
    stripe_api.expire_session(first.session_id, send_webhook=False)
    deliver(stripe_events.take("checkout.session.expired"))
    second = join(monthly, "DANA@example.com")

    monthly.refresh_from_db()
    assert monthly.stripe_price_id in stripe_api.prices and not monthly.needs_new_price
    assert len(stripe_api.prices) == 1  # the second join made no second price
    assert BillingCustomer.objects.count() == 1 and len(stripe_api.customers) == 1
    assert stripe_api.session(second.session_id)["customer"] == BillingCustomer.objects.get().stripe_customer_id


def test_a_trial_is_for_people_who_never_had_access(stripe_api, monthly, stripe_events, deliver):
    monthly.trial_days = 14
    monthly.save()
    first = join(monthly, "dana@example.com")
    assert checkout_calls(stripe_api)[-1]["params"]["subscription_data"]["trial_period_days"] == "14"
    pay(stripe_api, first.session_id)
    deliver(stripe_events.take())
    assert Subscription.objects.get(pk=first.subscription.pk).status == Subscription.Status.TRIALING

    stripe_api.advance_clock(14 * DAY)
    stripe_api.cancel_subscription(Subscription.objects.get(pk=first.subscription.pk).stripe_subscription_id, {})
    deliver(stripe_events.take())
    join(monthly, "dana@example.com")
    assert "trial_period_days" not in checkout_calls(stripe_api)[-1]["params"]["subscription_data"]


def test_an_email_with_a_membership_is_refused_a_second_one(
    api_client, stripe_api, monthly, yearly, stripe_events, deliver
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())

    response = api_client.post("/api/plans/coach-yearly/checkout/", {"email": "dana@example.com"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "already_member"
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("slug", "body", "status", "code"),
    [
        ("coach-monthly", {"email": "not-an-email"}, 400, "validation_error"),
        ("coach-monthly", {}, 400, "validation_error"),
        ("no-such-plan", {"email": "dana@example.com"}, 404, "not_found"),
        ("retired", {"email": "dana@example.com"}, 404, "not_found"),
    ],
)
def test_refusals_come_in_the_one_error_shape_and_open_nothing(
    api_client, stripe_api, monthly, slug, body, status, code
):
    Plan.objects.create(name="Retired", slug="retired", price=Decimal("5.00"), is_active=False)

    response = api_client.post(f"/api/plans/{slug}/checkout/", body, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    assert Subscription.objects.count() == 0
    assert checkout_calls(stripe_api) == []


def test_joins_are_limited_per_email_and_per_client_with_retry_after(api_client, stripe_api, monthly, settings):
    settings.BILLING_JOINS_PER_EMAIL_PER_HOUR = 2
    settings.BILLING_JOINS_PER_CLIENT_PER_HOUR = 3
    url = "/api/plans/coach-monthly/checkout/"

    answers = [api_client.post(url, {"email": "dana@example.com"}, format="json").status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    refused = api_client.post(url, {"email": "dana@example.com"}, format="json")
    assert refused.json()["code"] == "too_many_joins" and int(refused["Retry-After"]) > 0

    assert api_client.post(url, {"email": "eli@example.com"}, format="json").status_code == 429  # the client's 3rd+
    assert Subscription.objects.count() == 2


def test_stripe_down_answers_503_and_leaves_no_open_membership(api_client, stripe_api, monthly):
    stripe_api.fail_next("POST", "/v1/checkout/sessions", status=500, times=5)

    response = api_client.post("/api/plans/coach-monthly/checkout/", {"email": "dana@example.com"}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "payment_unavailable"
    assert Subscription.objects.get().status == Subscription.Status.INCOMPLETE_EXPIRED


def test_the_membership_page_lists_the_plans_and_its_form_goes_to_stripe(client, stripe_api, monthly, yearly):
    page = client.get("/membership/")
    assert page.status_code == 200
    assert b"FoosFoot Coach, monthly" in page.content and b"90.00 USD a year" in page.content
    assert b"csrfmiddlewaretoken" in page.content
    assert stripe_api.base_url in page["Content-Security-Policy"]  # the form's redirect may reach the emulator

    response = client.post("/membership/", {"plan": "coach-yearly", "email": "dana@example.com"})

    assert response.status_code == 303
    subscription = Subscription.objects.get()
    assert response["Location"] == subscription.checkout_url
    assert subscription.plan == yearly
    assert client.session["billing_subscription"] == subscription.token


def test_the_membership_page_shows_a_refusal_beside_the_form(client, stripe_api, monthly):
    response = client.post("/membership/", {"plan": "coach-monthly", "email": "nope"})
    assert response.status_code == 200
    assert b"Enter a valid email address" in response.content
    assert Subscription.objects.count() == 0
