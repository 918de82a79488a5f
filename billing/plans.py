"""Plans in Stripe: each plan a Stripe Product and a Price, kept in line through the one client, and the
customer-portal configuration that lists them (so members can switch plans in the portal).

A Stripe Price's amount, currency and interval are fixed for good: a plan whose terms change gets a new Price
and its old one is archived (subscriptions on it keep renewing at their price until they switch). Each call
carries an idempotency key derived from the plan and what it replaces, so a retry makes nothing twice.
Synced on save in the admin (after commit), by `manage.py sync_plans`, and at a checkout that finds its plan
without a current Price.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Plan, PortalConfiguration
from payments.client import get_stripe_client
from payments.money import to_minor_units

logger = logging.getLogger(__name__)


def _plan_key(plan: Plan, purpose: str) -> str:
    return f"hodhod:billing:{purpose}:{plan.pk}:{int(plan.created_at.timestamp())}"


def _sync_product(plan: Plan) -> str:
    client = get_stripe_client()
    params = {"name": plan.name, "active": plan.is_active, "metadata": {"plan": plan.slug}}
    if plan.description:
        params["description"] = plan.description[:1000]
    if plan.stripe_product_id:
        return client.v1.products.update(plan.stripe_product_id, params=params).id
    product = client.v1.products.create(params=params, options={"idempotency_key": _plan_key(plan, "product")})
    return product.id


def _new_price(plan: Plan, product_id: str) -> str:
    replaced = plan.stripe_price_id or "first"
    key = f"{_plan_key(plan, 'price')}:{replaced}:{plan.price_terms.replace(' ', '-')}"
    price = get_stripe_client().v1.prices.create(
        params={
            "product": product_id,
            "currency": plan.currency.lower(),
            "unit_amount": to_minor_units(plan.price, plan.currency),
            "recurring": {"interval": plan.interval},
            "tax_behavior": "exclusive",
            "nickname": plan.name,
            "metadata": {"plan": plan.slug},
        },
        options={"idempotency_key": key},
    )
    return price.id


def sync_plan(*, plan_id: int) -> Plan:
    """Bring the plan's Stripe Product (name, description, on offer) and Price (amount, currency, interval) in
    line with it; a changed price makes a new Price and archives the old one. Raises `stripe.StripeError`.
    The plan's row is locked meanwhile, so two first checkouts of a new plan make one Price."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan_id)
        product_id = _sync_product(plan)
        fields = {"stripe_product_id": product_id, "synced_at": timezone.now()}
        if plan.needs_new_price:
            old_price = plan.stripe_price_id
            fields.update(stripe_price_id=_new_price(plan, product_id), stripe_price_terms=plan.price_terms)
            if old_price:
                get_stripe_client().v1.prices.update(old_price, params={"active": False})
                logger.info("plan %s: price %s archived for %s", plan.slug, old_price, fields["stripe_price_id"])
        Plan.objects.filter(pk=plan.pk).update(**fields)  # not save(): an edit made meanwhile is not undone
        for name, value in fields.items():
            setattr(plan, name, value)
    return plan


def portal_features(plans: list[Plan]) -> dict:
    """What members may do in Stripe's customer portal: change card, see invoices, cancel at the period's
    end, and switch between the plans on offer."""
    switch = {"enabled": bool(plans)}
    if plans:
        switch.update(
            default_allowed_updates=["price"],
            products=[{"product": plan.stripe_product_id, "prices": [plan.stripe_price_id]} for plan in plans],
            proration_behavior="create_prorations",
        )
    return {
        "invoice_history": {"enabled": True},
        "payment_method_update": {"enabled": True},
        "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
        "subscription_update": switch,
    }


def portal_configuration_id() -> str:
    """The id of the portal configuration that lists the plans on offer, made or updated when they changed.
    Raises `stripe.StripeError`."""
    with transaction.atomic():
        # The plans' rows, locked in a fixed order: two requests never make two configurations.
        plans = list(Plan.objects.on_offer().exclude(stripe_price_id="").select_for_update().order_by("pk"))
        price_ids = ",".join(plan.stripe_price_id for plan in plans)
        current = PortalConfiguration.objects.first()
        if current is not None and current.price_ids == price_ids:
            return current.stripe_configuration_id
        params = {
            "business_profile": {"headline": "Hod & Hod memberships: change your card, plan or membership."},
            "default_return_url": f"{settings.SITE_URL}/membership/",
            "features": portal_features(plans),
            "metadata": {"app": "hodhod-billing"},
        }
        client = get_stripe_client().v1.billing_portal.configurations
        if current is None:
            config = client.create(params=params)
            current = PortalConfiguration(stripe_configuration_id=config.id)
        else:
            client.update(current.stripe_configuration_id, params=params)
        current.price_ids = price_ids
        current.save()
        return current.stripe_configuration_id


def sync_all_plans() -> list[str]:
    """Every plan, then the portal configuration; a line per plan (what `manage.py sync_plans` prints)."""
    lines = []
    for plan_id in Plan.objects.order_by("pk").values_list("pk", flat=True):
        plan = sync_plan(plan_id=plan_id)
        lines.append(f"{plan.slug}: product {plan.stripe_product_id}, price {plan.stripe_price_id}")
    lines.append(f"customer portal configuration {portal_configuration_id()}")
    return lines
