"""Issue 15: the enrollment's delivery rows in the admin show what became of each lesson, read-only."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from programs.models import Delivery
from tests.factories import DeliveryFactory, EnrollmentFactory, StepFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def staff_client(client):
    user = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "pw-123-secret")
    client.force_login(user)
    return client


def test_issue15_delivery_rows_show_engagement_times_at_the_customers_clock(staff_client):
    enrollment = EnrollmentFactory(timezone="America/Chicago")
    DeliveryFactory(
        enrollment=enrollment,
        status=Delivery.Status.SENT,
        sent_at=T0,
        delivered_at=T0 + dt.timedelta(seconds=5),
        opened_at=T0 + dt.timedelta(hours=1),
        clicked_at=T0 + dt.timedelta(hours=1, minutes=2),
        scanner_clicked_at=T0 + dt.timedelta(seconds=6),
        click_count=3,
        unsubscribed_at=T0 + dt.timedelta(days=1),
    )
    DeliveryFactory(enrollment=enrollment, step=StepFactory(program=enrollment.program))  # nothing yet
    page = staff_client.get(f"/admin/programs/enrollment/{enrollment.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Engagement (customer" in html
    assert "<div>Opened: Tue 3 Mar, 02:00 America/Chicago</div>" in html
    assert "<div>Clicked: Tue 3 Mar, 02:02 America/Chicago</div>" in html
    assert "<div>Link scanner: Tue 3 Mar, 01:00 America/Chicago</div>" in html
    assert "<div>Link clicks: 3</div>" in html
    assert "<div>Unsubscribed after it: Wed 4 Mar, 01:00 America/Chicago</div>" in html
    assert 'name="deliveries-0-opened_at"' not in html and 'name="deliveries-0-click_count"' not in html  # read-only
