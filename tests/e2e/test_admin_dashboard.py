"""The admin index shows what staff should do first: orders to ship, failed lesson emails."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from programs.models import Delivery, Enrollment, Program, Step
from shop.models import Order
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_admin_is_titled_for_hod_and_hod(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "Hod &amp; Hod administration" in html


def test_dashboard_lists_paid_orders_to_ship_and_failed_deliveries_first(admin_client):
    now = timezone.now()
    today = OrderFactory(status=Order.Status.PAID, paid_at=now, customer_name="Dana Walker")
    older = OrderFactory(status=Order.Status.PAID, paid_at=now - timedelta(days=2))
    shipped = OrderFactory(status=Order.Status.SHIPPED, paid_at=now)
    pending = OrderFactory()
    flagged = OrderFactory(needs_attention=True, attention_reason="Stripe reports 1.00 USD paid")
    program = Program.objects.create(name="Feet", slug="feet")
    step = Step.objects.create(program=program, day=0, subject="Day 1: heel raises", body="…")
    enrollment = Enrollment.objects.create(program=program, email="lee@example.com", origin="staff", send_hour=8)
    Delivery.objects.create(
        enrollment=enrollment, step=step, due_at=now, status=Delivery.Status.FAILED, last_error="550 mailbox unknown"
    )

    html = admin_client.get("/admin/").content.decode()
    # The dashboard comes before the list of apps.
    assert html.index("Orders to ship today") < html.index("Failed email deliveries") < html.index('class="app-auth')
    assert "2 paid orders waiting to ship, 1 paid today." in html
    assert html.index(older.number) < html.index(today.number)  # oldest first
    assert shipped.number not in html and pending.number not in html
    assert f"/admin/shop/order/{today.pk}/change/" in html
    assert "lee@example.com" in html and "550 mailbox unknown" in html
    assert flagged.number in html


def test_dashboard_survives_a_missing_app(admin_client, monkeypatch):
    real = apps.get_model

    def without_programs(label, *args, **kwargs):
        if str(label).startswith("programs."):
            raise LookupError(label)
        return real(label, *args, **kwargs)

    monkeypatch.setattr(apps, "get_model", without_programs)
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Orders to ship today" in html
    assert "Failed email deliveries" not in html
