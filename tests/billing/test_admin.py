"""Staff: subscriptions in the admin with their invoices, emails and history; cancel and refund actions behind
their own permissions (billing.cancel_subscription, billing.refund_invoice); the month's figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from billing.models import Invoice, Plan, Subscription
from billing.selectors import membership_figures
from tests.billing.conftest import join, pay, subscription_of

pytestmark = pytest.mark.django_db
Status = Subscription.Status
CHANGELIST = "/admin/billing/subscription/"


@pytest.fixture
def member(stripe_api, monthly, stripe_events, deliver):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    return subscription_of(result)


def staff_client(client, *codenames):
    user = User.objects.create_user("clerk", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="billing", codename__in=codenames))
    client.force_login(user)
    return client


def run_action(client, action: str, subscription: Subscription):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [subscription.pk]}, follow=True)


def offered_actions(client) -> set[str]:
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    return {value for value, _ in page.context["action_form"].fields["action"].choices if value}


def test_a_clerk_who_may_view_and_change_cannot_cancel_or_refund(client, stripe_api, member):
    clerk = staff_client(client, "view_subscription", "change_subscription")

    assert offered_actions(clerk) == {"resync_from_stripe"}
    run_action(clerk, "cancel_now", member)
    run_action(clerk, "refund_last_invoice", member)

    assert subscription_of(member).status == Status.ACTIVE
    assert stripe_api.refunds == {}


def test_cancel_now_and_at_period_end_go_through_stripe_with_the_permission(
    client, stripe_api, member, stripe_events, django_capture_on_commit_callbacks, announcements
):
    clerk = staff_client(client, "view_subscription", "cancel_subscription")
    assert {"cancel_at_period_end_action", "cancel_now"} <= offered_actions(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        run_action(clerk, "cancel_at_period_end_action", member)
    at_end = subscription_of(member)
    assert (at_end.status, at_end.cancel_at_period_end, at_end.has_access) == (Status.ACTIVE, True, True)
    assert stripe_api.subscriptions[member.stripe_subscription_id]["cancel_at_period_end"] is True
    assert at_end.events.filter(actor="staff:clerk").exists()

    with django_capture_on_commit_callbacks(execute=True):
        run_action(clerk, "cancel_now", member)
    assert subscription_of(member).status == Status.CANCELED
    assert stripe_api.subscriptions[member.stripe_subscription_id]["status"] == "canceled"
    assert announcements == [("ended", "dana@example.com", member.reference)]


def test_refund_the_last_invoice_finds_its_payment_through_invoice_payments(
    client, stripe_api, member, stripe_events, deliver
):
    clerk = staff_client(client, "view_subscription", "refund_invoice")

    page = run_action(clerk, "refund_last_invoice", member)

    assert b"refunded 9.00 USD" in page.content
    invoice = Invoice.objects.get()
    assert invoice.amount_refunded == Decimal("9.00")
    assert invoice.payment_intent_id.startswith("pi_")
    listed = [c for c in stripe_api.api_calls if c["path"] == "/v1/invoice_payments"]
    assert listed and listed[0]["params"]["invoice"] == invoice.stripe_invoice_id
    (refund,) = stripe_api.refunds.values()
    assert refund["amount"] == 900 and refund["payment_intent"] == invoice.payment_intent_id

    run_action(clerk, "refund_last_invoice", member)  # nothing more to refund
    assert len(stripe_api.refunds) == 1

    charge = stripe_api.charges[stripe_api.payment_intents[invoice.payment_intent_id]["latest_charge"]]
    outcomes = deliver([stripe_api.build_event("charge.refunded", charge)])
    assert outcomes == [("charge.refunded", "processed")]  # billing's; the shop's handler waited for an order


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_on_its_invoice(stripe_api, member, stripe_events, deliver):
    invoice = Invoice.objects.get()
    stripe_api.refund(invoice.payment_intent_id, 400, send_webhook=False)
    charge = stripe_api.charges[stripe_api.payment_intents[invoice.payment_intent_id]["latest_charge"]]

    deliver([stripe_api.build_event("charge.refunded", charge)], duplicate=True)

    assert Invoice.objects.get().amount_refunded == Decimal("4.00")
    assert member.events.filter(kind="refund").count() == 1


def test_the_subscription_page_shows_its_invoices_emails_and_history(admin_client, member):
    page = admin_client.get(f"/admin/billing/subscription/{member.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert Invoice.objects.get().number in text and "9.00" in text
    assert "Welcome" in text and "stripe:evt_" in text
    assert member.token not in text  # the member's key stays theirs


def test_the_changelist_shows_members_mrr_and_churn(admin_client, monthly, yearly):
    now = timezone.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def member(email, plan, status, started, ended=None):
        return Subscription.objects.create(
            reference=f"HM-{email[:6].upper()}",
            email=email,
            plan=plan,
            status=status,
            has_access=status in Subscription.ACCESS_STATUSES,
            amount=plan.price,
            currency="USD",
            interval=plan.interval,
            access_started_at=started,
            access_ended_at=ended,
        )

    member("a@example.com", monthly, Status.ACTIVE, month_start - timedelta(days=40))
    member("b@example.com", yearly, Status.PAST_DUE, month_start - timedelta(days=40))
    member("c@example.com", monthly, Status.TRIALING, now)
    member(
        "d@example.com", monthly, Status.CANCELED, month_start - timedelta(days=40), month_start + timedelta(hours=1)
    )
    member("e@example.com", monthly, Status.CANCELED, month_start - timedelta(days=90), month_start - timedelta(days=1))

    figures = membership_figures(now=now)
    assert figures.members == 3
    assert figures.mrr == [("USD", Decimal("16.50"))]  # 9 + 90/12; the trial pays nothing yet
    assert (figures.ended_this_month, figures.active_at_month_start) == (1, 3)
    assert figures.churn == Decimal("33.3")

    page = admin_client.get(CHANGELIST)
    assert b"16.50 USD" in page.content and b"33.3%" in page.content


def test_plan_actions_and_every_subscription_action_declare_their_permission():
    for model in (Plan, Subscription):
        model_admin = admin.site._registry[model]
        for name in model_admin.actions:
            function = getattr(model_admin, name)
            assert getattr(function, "allowed_permissions", None), f"{model.__name__}.{name}"
