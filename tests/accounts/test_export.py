"""Issue 14: `/account/data.json`, everything held about the signed-in person, machine-readable, and nothing of
anyone else's; access tokens and our own hashes left out."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice
from core.consent import record_consent
from core.models import Suppression
from core.suppression import suppress
from payments.models import StripeEvent
from programs.models import Delivery, SignupConfirmationMail
from shop.history import record_order_event
from shop.models import CheckoutRecovery, OrderEmail, Refund
from tests.accounts.conftest import make_membership, sign_in_as
from tests.factories import EnrollmentFactory, OrderFactory, OrderLineFactory, program_with_steps

pytestmark = pytest.mark.django_db


def rich_customer(email: str, plan) -> dict:
    order = OrderFactory(
        email=email,
        customer_name="Dana Smith",
        shipping_address={
            "line1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "postal_code": "78701",
            "country": "US",
        },
        status="shipped",
        payment_intent_id=f"pi_{email[:4]}",
        checkout_session_id=f"cs_{email[:4]}",
    )
    OrderLineFactory(order=order, quantity=2, unit_price=Decimal("49.00"))
    record_order_event(order=order, kind="email", message="confirmation email sent to d***@example.com")
    record_order_event(order=order, kind="note", message="Staff only: customer called twice.")
    OrderEmail.objects.create(order=order, kind="confirmation", sent_at=timezone.now())
    Refund.objects.create(
        order=order, stripe_refund_id=f"re_{email[:4]}", amount=Decimal("5.00"), currency="USD", status="succeeded"
    )
    CheckoutRecovery.objects.create(
        order=order,
        session_id=f"cs_old_{email[:4]}",
        email=email,
        recovery_url="https://checkout.stripe.com/r/x",
        session_created_at=timezone.now() - timedelta(hours=2),
        due_at=timezone.now(),
    )
    program = program_with_steps(2)
    enrollment = EnrollmentFactory(program=program, email=email, name="Dana")
    Delivery.objects.create(enrollment=enrollment, step=program.steps.first(), due_at=timezone.now(), status="sent")
    SignupConfirmationMail.objects.create(program=program, email=email.lower(), sent_at=timezone.now())
    membership = make_membership(plan, email, customer_id=f"cus_{email[:4]}")
    Invoice.objects.create(
        subscription=membership, stripe_invoice_id=f"in_{email[:4]}", status="paid", currency="USD",
        amount_paid=Decimal("9.00"), created_at=timezone.now(),
    )  # fmt: skip
    record_consent(email=email, topic="news", granted=True, source="checkout:cs_1")
    StripeEvent.objects.create(
        id=f"evt_{email[:4]}",
        type="checkout.session.completed",
        state="processed",
        payload={"data": {"object": {"id": f"cs_{email[:4]}", "customer_details": {"email": email}}}},
    )
    return {"order": order, "enrollment": enrollment, "membership": membership}


def test_issue14_the_export_holds_everything_about_the_person_and_nothing_of_others(client, plan):
    mine = rich_customer("dana@example.com", plan)
    rich_customer("otto@example.com", plan)
    suppress(email="dana@example.com", reason=Suppression.Reason.STOP_ALL)
    sign_in_as(client, "Dana@Example.com")

    response = client.get("/account/data.json")
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="hodhod-data-')
    data = json.loads(response.content)
    text = response.content.decode()
    assert data["format"] == "hodhod.account-export.v1" and data["email"] == "dana@example.com"
    assert "otto" not in text

    (order,) = data["orders"]
    assert order["number"] == mine["order"].number and order["customer_name"] == "Dana Smith"
    assert order["shipping_address"]["line1"] == "1 Main St"
    assert [line["quantity"] for line in order["lines"]] == [2]
    assert [event["kind"] for event in order["events"]] == ["email"]  # the staff's note is theirs
    assert [email["kind"] for email in order["emails"]] == ["confirmation"]
    assert [refund["amount"] for refund in order["refunds"]] == ["5.00"]
    assert [recovery["session_id"] for recovery in order["recovery_emails"]] == ["cs_old_dana"]

    (enrollment,) = data["enrollments"]
    assert enrollment["name"] == "Dana" and [d["status"] for d in enrollment["deliveries"]] == ["sent"]
    assert len(data["signup_confirmations"]) == 1
    (membership,) = data["memberships"]
    assert membership["reference"] == mine["membership"].reference
    assert [invoice["stripe_invoice_id"] for invoice in membership["invoices"]] == ["in_dana"]
    assert data["billing_customer"]["stripe_customer_id"] == "cus_dana"
    assert [(c["topic"], c["granted"]) for c in data["consents"]] == [("news", True)]
    assert [entry["reason"] for entry in data["suppression"]] == ["stop_all"]
    assert [event["id"] for event in data["stripe_events"]] == ["evt_dana"]
    assert len(data["sign_in_links"]) == 1 and "token_hash" not in data["sign_in_links"][0]
    for secret in (mine["order"].token, mine["enrollment"].token, mine["membership"].token):
        assert secret not in text


def test_issue14_the_export_of_an_address_with_nothing_is_empty(client):
    sign_in_as(client, "nobody@example.com")
    data = client.get("/account/data.json").json()
    assert [data[key] for key in ("orders", "enrollments", "memberships", "consents", "suppression")] == [[]] * 5
    assert data["billing_customer"] is None and data["stripe_events"] == []
