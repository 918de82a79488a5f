"""A membership over real HTTP: the API → the emulator's pay page → signed webhooks delivered by the emulator to
the live server → active, announced once, welcomed → the customer portal → cancel at period end → the clock
passes the period's end → ended, announced once."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
import requests
from django.core import mail

from billing.models import Plan, Subscription
from billing.signals import membership_ended, membership_started

pytestmark = pytest.mark.django_db(transaction=True)


class FormFields(HTMLParser):
    """The prefilled inputs of a page's forms, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        if tag == "select" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], "US")


def form_fields(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.fields


def test_join_pay_manage_and_end_a_membership_over_http(live_server, stripe_webhooks_to_live_server, settings):
    emu = stripe_webhooks_to_live_server
    settings.SITE_URL = live_server.url  # where Stripe sends the member back
    Plan.objects.create(name="FoosFoot Coach, monthly", slug="coach-monthly", price=Decimal("9.00"))
    announced = []
    membership_started.connect(
        lambda sender, email, subscription, **kw: announced.append(("started", email)),
        weak=False,
        dispatch_uid="http-started",
    )
    membership_ended.connect(
        lambda sender, email, subscription, **kw: announced.append(("ended", email)),
        weak=False,
        dispatch_uid="http-ended",
    )
    try:
        api = f"{live_server.url}/api"
        http = requests.Session()
        assert [plan["slug"] for plan in http.get(f"{api}/plans/", timeout=10).json()] == ["coach-monthly"]
        joined = http.post(f"{api}/plans/coach-monthly/checkout/", json={"email": "dana@example.com"}, timeout=10)
        assert joined.status_code == 201, joined.text
        body = joined.json()

        page = http.get(body["checkout_url"], timeout=10)
        assert page.status_code == 200 and "9.00" in page.text
        paid = http.post(
            body["checkout_url"], data={**form_fields(page.text), "action": "pay"}, allow_redirects=False, timeout=10
        )
        assert paid.status_code in (302, 303)
        assert paid.headers["Location"].startswith(f"{live_server.url}/membership/success/?session_id=cs_")
        emu.wait_for_deliveries(timeout=15)

        assert all(status == 200 for _, _, status in emu.deliveries)
        token = body["subscription"]["token"]
        state = http.get(f"{api}/subscriptions/{token}/", timeout=10).json()
        assert (state["status"], state["cancel_at_period_end"], state["programs"]) == ("active", False, [])
        assert announced == [("started", "dana@example.com")]
        assert [m.subject for m in mail.outbox] == ["Welcome to FoosFoot Coach, monthly"]
        success = http.get(paid.headers["Location"], timeout=10)
        assert "Welcome to FoosFoot Coach" in success.text

        portal_url = http.post(f"{api}/subscriptions/{token}/portal/", timeout=10).json()["url"]
        portal = http.get(portal_url, timeout=10)
        assert portal.status_code == 200 and "Cancel subscription" in portal.text
        stripe_id = Subscription.objects.get(token=token).stripe_subscription_id
        http.post(portal_url, data={"action": "cancel", "subscription": stripe_id}, timeout=10)
        emu.wait_for_deliveries(timeout=15)
        state = http.get(f"{api}/subscriptions/{token}/", timeout=10).json()
        assert (state["status"], state["cancel_at_period_end"]) == ("active", True)

        emu.advance_clock(31 * 86400)
        emu.wait_for_deliveries(timeout=15)
        assert http.get(f"{api}/subscriptions/{token}/", timeout=10).json()["status"] == "canceled"
        assert announced == [("started", "dana@example.com"), ("ended", "dana@example.com")]
        assert [m.subject for m in mail.outbox][1:] == ["Your FoosFoot Coach, monthly membership will end"]
    finally:
        membership_started.disconnect(dispatch_uid="http-started")
        membership_ended.disconnect(dispatch_uid="http-ended")
