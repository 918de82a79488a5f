"""Issue 14: the daily privacy pass. Stored Stripe events older than STRIPE_EVENT_RETENTION_DAYS lose the personal
data in them and stay (ids for idempotency, the audit of what Stripe said); old sign-in links go."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import SignInLink
from accounts.retention import run_privacy_pass
from payments.models import StripeEvent
from payments.privacy import concerning, scrub_payload
from tests.accounts.conftest import make_link

pytestmark = pytest.mark.django_db

SESSION_COMPLETED = {
    "id": "evt_1",
    "type": "checkout.session.completed",
    "data": {
        "object": {
            "id": "cs_1",
            "object": "checkout.session",
            "amount_total": 10240,
            "currency": "usd",
            "payment_intent": "pi_1",
            "customer": "cus_1",
            "customer_email": "dana@example.com",
            "customer_details": {"email": "dana@example.com", "name": "Dana Smith", "address": {"city": "Austin"}},
            "collected_information": {"shipping_details": {"name": "Dana Smith", "address": {"line1": "1 Main St"}}},
            "metadata": {"order_number": "HH-000123"},
            "shipping_options": [{"shipping_rate": "shr_1", "shipping_amount": 695}],
        }
    },
}
CUSTOMER_UPDATED = {
    "id": "evt_2",
    "type": "customer.updated",
    "data": {
        "object": {
            "id": "cus_1",
            "object": "customer",
            "email": "dana@example.com",
            "name": "Dana Smith",
            "phone": "+1",
        },
        "previous_attributes": {"name": "Dana S.", "email": "old@example.com"},
    },
}
INVOICE_PAID = {
    "id": "evt_3",
    "type": "invoice.paid",
    "data": {
        "object": {
            "id": "in_1",
            "object": "invoice",
            "customer": "cus_1",
            "customer_email": "dana@example.com",
            "customer_name": "Dana Smith",
            "customer_address": {"line1": "1 Main St"},
            "lines": {"data": [{"description": "1 × FoosFoot Coach", "price": {"id": "price_1", "product": "prod_1"}}]},
            "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"hodhod_subscription": "M-1"}}},
            "amount_paid": 900,
        }
    },
}


def test_issue14_scrubbing_keeps_ids_amounts_and_metadata_and_takes_the_person_out():
    for payload in (SESSION_COMPLETED, CUSTOMER_UPDATED, INVOICE_PAID):
        scrubbed = scrub_payload(payload)
        text = str(scrubbed).lower()
        assert "dana" not in text and "1 main st" not in text and "austin" not in text and "old@example" not in text
        assert scrubbed["id"] == payload["id"] and scrubbed["data"]["object"]["id"] == payload["data"]["object"]["id"]
    session = scrub_payload(SESSION_COMPLETED)["data"]["object"]
    assert (session["amount_total"], session["payment_intent"], session["metadata"]) == (
        10240,
        "pi_1",
        {"order_number": "HH-000123"},
    )
    assert session["customer_details"] is None and session["shipping_options"][0]["shipping_rate"] == "shr_1"
    invoice = scrub_payload(INVOICE_PAID)["data"]["object"]
    assert invoice["parent"]["subscription_details"]["metadata"] == {"hodhod_subscription": "M-1"}
    assert invoice["lines"]["data"][0]["description"] == "1 × FoosFoot Coach"


def test_issue14_the_events_of_a_person_are_found_by_address_customer_intent_or_object():
    for payload in (SESSION_COMPLETED, CUSTOMER_UPDATED, INVOICE_PAID):
        StripeEvent.objects.create(id=payload["id"], type=payload["type"], payload=payload, state="processed")
    StripeEvent.objects.create(id="evt_other", type="invoice.paid", payload={"data": {"object": {"id": "in_9"}}})
    found = lambda **ids: sorted(concerning(**ids).values_list("id", flat=True))  # noqa: E731
    assert found(emails=["DANA@example.com"]) == ["evt_1", "evt_2", "evt_3"]
    assert found(customer_ids=["cus_1"]) == ["evt_1", "evt_2", "evt_3"]
    assert found(payment_intent_ids=["pi_1"]) == ["evt_1"]
    assert found(object_ids=["sub_1"]) == ["evt_3"] and found(object_ids=["cs_1"]) == ["evt_1"]
    assert found() == []


def test_issue14_the_privacy_pass_scrubs_events_older_than_the_retention_and_keeps_them(settings):
    settings.STRIPE_EVENT_RETENTION_DAYS = 90
    now = timezone.now()
    for payload, age in ((SESSION_COMPLETED, 91), (INVOICE_PAID, 89)):
        StripeEvent.objects.create(id=payload["id"], type=payload["type"], payload=payload, state="processed")
        StripeEvent.objects.filter(id=payload["id"]).update(received_at=now - timedelta(days=age))
    StripeEvent.objects.create(id="evt_live", type="invoice.paid", payload=INVOICE_PAID, state="received")
    StripeEvent.objects.filter(id="evt_live").update(received_at=now - timedelta(days=120))  # being applied: later

    assert run_privacy_pass(now=now)["old_events_scrubbed"] == 1
    old, young = StripeEvent.objects.get(id="evt_1"), StripeEvent.objects.get(id="evt_3")
    assert "dana" not in str(old.payload).lower() and old.scrubbed_at == now
    assert "dana" in str(young.payload).lower() and young.scrubbed_at is None
    assert "dana" in str(StripeEvent.objects.get(id="evt_live").payload).lower()
    assert run_privacy_pass(now=now)["old_events_scrubbed"] == 0  # once is enough


def test_issue14_the_privacy_pass_deletes_old_sign_in_links(settings):
    make_link("fresh@example.com")
    make_link("stale@example.com")
    SignInLink.objects.filter(email="stale@example.com").update(
        created_at=timezone.now() - timedelta(days=31), expires_at=timezone.now() - timedelta(days=31)
    )
    assert run_privacy_pass()["sign_in_links_deleted"] == 1
    assert list(SignInLink.objects.values_list("email", flat=True)) == ["fresh@example.com"]


def test_issue14_the_privacy_pass_is_a_daily_beat_entry():
    task = PeriodicTask.objects.get(name="accounts: privacy pass")
    assert task.task == "accounts.run_privacy_pass" and task.enabled
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_week) == ("3", "41", "*")


def test_issue14_the_retention_is_read_from_the_environment():
    assert django_settings.STRIPE_EVENT_RETENTION_DAYS == 90
    assert (django_settings.ACCOUNT_SIGN_IN_LINK_MINUTES, django_settings.ACCOUNT_SESSION_DAYS) == (15, 30)
