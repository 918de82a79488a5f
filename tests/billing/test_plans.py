"""Plans in Stripe: each a Product and a Price, synced idempotently (a changed price makes a new Price and archives
the old one), on save in the admin after commit and by `manage.py sync_plans`; the portal configuration lists
them; the demo seeds FoosFoot Coach without calling Stripe."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import Plan, PortalConfiguration
from billing.plans import portal_configuration_id, sync_plan

pytestmark = pytest.mark.django_db


def posts(emu, path: str) -> list[dict]:
    return [c for c in emu.api_calls if c["method"] == "POST" and c["path"].startswith(path)]


def test_a_plan_becomes_a_stripe_product_and_recurring_price_once(stripe_api, yearly):
    plan = sync_plan(plan_id=yearly.pk)
    sync_plan(plan_id=yearly.pk)

    price = stripe_api.prices[plan.stripe_price_id]
    assert (price["unit_amount"], price["currency"], price["recurring"]["interval"]) == (9000, "usd", "year")
    assert price["product"] == plan.stripe_product_id
    assert stripe_api.products[plan.stripe_product_id]["name"] == "FoosFoot Coach, yearly"
    assert len(stripe_api.products) == 1 and len(stripe_api.prices) == 1
    assert len(posts(stripe_api, "/v1/prices")) == 1
    assert all(call["idempotency_key"] for call in posts(stripe_api, "/v1/products") if call["path"] == "/v1/products")
    assert Plan.objects.get(pk=yearly.pk).stripe_price_terms == "90.00 USD year"


def test_a_changed_price_makes_a_new_price_and_archives_the_old(stripe_api, monthly):
    old = sync_plan(plan_id=monthly.pk).stripe_price_id
    Plan.objects.filter(pk=monthly.pk).update(price=Decimal("11.00"), name="Coach")

    new = sync_plan(plan_id=monthly.pk).stripe_price_id

    assert new != old
    assert stripe_api.prices[new]["unit_amount"] == 1100 and stripe_api.prices[new]["active"]
    assert stripe_api.prices[old]["active"] is False
    assert stripe_api.products[stripe_api.prices[new]["product"]]["name"] == "Coach"
    assert len(stripe_api.products) == 1


def test_the_portal_configuration_offers_the_plans_and_follows_their_prices(stripe_api, monthly, yearly):
    for plan in (monthly, yearly):
        sync_plan(plan_id=plan.pk)
    config_id = portal_configuration_id()
    assert portal_configuration_id() == config_id  # unchanged plans: no call

    features = stripe_api.portal_configurations[config_id]["features"]
    offered = {price for product in features["subscription_update"]["products"] for price in product["prices"]}
    assert offered == set(Plan.objects.values_list("stripe_price_id", flat=True))
    assert features["subscription_update"]["enabled"] and features["payment_method_update"]["enabled"]
    assert features["subscription_cancel"]["mode"] == "at_period_end"

    Plan.objects.filter(pk=monthly.pk).update(price=Decimal("10.00"))
    sync_plan(plan_id=monthly.pk)
    assert portal_configuration_id() == config_id  # updated in place
    features = stripe_api.portal_configurations[config_id]["features"]
    offered = {price for product in features["subscription_update"]["products"] for price in product["prices"]}
    assert Plan.objects.get(pk=monthly.pk).stripe_price_id in offered
    assert len(stripe_api.portal_configurations) == 1 and PortalConfiguration.objects.count() == 1


def test_sync_plans_syncs_every_plan_and_the_portal(stripe_api, monthly, yearly):
    out = StringIO()
    call_command("sync_plans", stdout=out)

    assert "coach-monthly: product prod_" in out.getvalue() and "customer portal configuration bpc_" in out.getvalue()
    assert not any(plan.needs_new_price for plan in Plan.objects.all())


def test_saving_a_plan_in_the_admin_syncs_it_after_commit(admin_client, stripe_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            "/admin/billing/plan/add/",
            {
                "name": "Coach",
                "slug": "coach",
                "description": "",
                "is_active": "on",
                "position": "0",
                "price": "9.00",
                "currency": "USD",
                "interval": "month",
                "trial_days": "0",
            },
        )
    assert response.status_code == 302, response.content
    assert len(callbacks) >= 1
    plan = Plan.objects.get(slug="coach")
    assert plan.stripe_price_id in stripe_api.prices
    assert len(stripe_api.portal_configurations) == 1


def test_a_plan_price_stripe_cannot_charge_is_refused_in_the_admin(admin_client, stripe_api):
    response = admin_client.post(
        "/admin/billing/plan/add/",
        {
            "name": "Yen",
            "slug": "yen",
            "position": "0",
            "price": "900.50",
            "currency": "JPY",
            "interval": "month",
            "trial_days": "0",
        },
    )
    assert response.status_code == 200 and b"JPY prices have no fractions" in response.content
    assert not Plan.objects.exists()


def test_the_demo_seeds_foosfoot_coach_monthly_and_yearly_once_without_stripe(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens: the seed must not call Stripe
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    plans = {plan.slug: plan for plan in Plan.objects.all()}
    assert set(plans) == {"foosfoot-coach-monthly", "foosfoot-coach-yearly"}
    assert (plans["foosfoot-coach-monthly"].price, plans["foosfoot-coach-monthly"].interval) == (
        Decimal("9.00"),
        "month",
    )
    assert (plans["foosfoot-coach-yearly"].price, plans["foosfoot-coach-yearly"].interval) == (Decimal("90.00"), "year")
    assert "five minutes a day" in plans["foosfoot-coach-monthly"].description
    assert all(plan.is_active and plan.currency == "USD" and not plan.stripe_price_id for plan in plans.values())
