"""The emulator's hosted pay page in a real browser: accessible, usable, and paying works."""

import time

import pytest
import stripe
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    try:
        yield context.new_page()
    finally:
        context.close()


def open_session(stripe_api):
    client = stripe.StripeClient("sk_test_emulator_page", base_addresses={"api": stripe_api.base_url})
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "unit_amount": 18900, "product_data": {"name": "FoosFoot"}},
                    "quantity": 1,
                }
            ],
            "success_url": f"{stripe_api.base_url}/health?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": f"{stripe_api.base_url}/health?cancelled=1",
            "customer_email": "buyer@example.com",
            "expires_at": int(time.time()) + 1800,
            "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
        }
    )


def test_the_pay_page_passes_axe_and_fits_a_phone(stripe_api, browser_page):
    session = open_session(stripe_api)

    browser_page.goto(session.url)

    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in Axe().run(browser_page).response["violations"]
        if v["impact"] in ("serious", "critical", "moderate")
    ]
    assert violations == []
    overflow = browser_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_a_person_can_pay_with_the_labelled_fields(stripe_api, browser_page):
    session = open_session(stripe_api)
    browser_page.goto(session.url)

    browser_page.get_by_label("Full name").fill("Avery Stone")
    browser_page.get_by_label("Country").select_option("CA")
    browser_page.get_by_role("button", name="Pay", exact=True).click()

    browser_page.wait_for_url(f"{stripe_api.base_url}/health?session_id={session.id}")
    paid = stripe_api.session(session.id)
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["collected_information"]["shipping_details"]["name"] == "Avery Stone"
    assert paid["collected_information"]["shipping_details"]["address"]["country"] == "CA"
    assert [e["type"] for e in stripe_api.events] == ["checkout.session.completed"]


def axe_violations(page):
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical", "moderate")
    ]


def test_the_pay_page_with_every_option_passes_axe(stripe_api, browser_page):
    client = stripe.StripeClient("sk_test_emulator_page", base_addresses={"api": stripe_api.base_url})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "unit_amount": 18900, "product_data": {"name": "FoosFoot"}},
                    "quantity": 1,
                }
            ],
            "shipping_options": [
                {
                    "shipping_rate_data": {
                        "display_name": "Standard",
                        "fixed_amount": {"amount": 500, "currency": "usd"},
                    }
                },
                {
                    "shipping_rate_data": {
                        "display_name": "Express",
                        "fixed_amount": {"amount": 1500, "currency": "usd"},
                    }
                },
            ],
            "shipping_address_collection": {"allowed_countries": ["US", "CA"]},
            "allow_promotion_codes": True,
            "automatic_tax": {"enabled": True},
            "consent_collection": {"promotions": "auto", "terms_of_service": "required"},
        }
    )
    browser_page.goto(session.url)

    assert axe_violations(browser_page) == []
    browser_page.get_by_label("Express: 15.00 USD").check()
    browser_page.get_by_label("I agree to the terms of service").check()
    browser_page.get_by_role("button", name="Pay", exact=True).click()
    browser_page.wait_for_load_state()
    paid = stripe_api.session(session.id)
    assert paid["status"] == "complete" and paid["shipping_cost"]["amount_subtotal"] == 1500


def test_the_portal_page_passes_axe_and_cancels(stripe_api, browser_page):
    client = stripe.StripeClient("sk_test_emulator_page", base_addresses={"api": stripe_api.base_url})
    product = client.v1.products.create(params={"name": "Membership"})
    price = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1200, "recurring": {"interval": "month"}}
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "customer_email": "m@example.com",
        }
    )
    completed = stripe_api.complete_session(session.id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": completed["customer"], "return_url": stripe_api.base_url + "/health"}
    )
    browser_page.goto(portal.url)

    assert axe_violations(browser_page) == []
    browser_page.get_by_role("button", name="Cancel subscription").click()
    browser_page.get_by_role("button", name="Resume subscription").wait_for()
    assert stripe_api.subscriptions[completed["subscription"]]["cancel_at_period_end"] is True
