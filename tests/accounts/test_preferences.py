"""Issue 14: email preferences on the account. Each change is a consent statement with its time and the source
`account`; the latest statement wins, so a withdrawal here outweighs a consent given at a checkout."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.consent import has_consent, record_consent
from core.models import Consent
from tests.accounts.conftest import sign_in_as

pytestmark = pytest.mark.django_db


def test_issue14_preferences_record_consent_with_time_and_source(client):
    sign_in_as(client, "Dana@Example.com")
    before = timezone.now()
    response = client.post("/account/preferences/", {"news": "on"}, follow=True)
    assert b"Your email preferences are saved." in response.content
    (statement,) = Consent.objects.all()
    assert (statement.email, statement.topic, statement.granted, statement.source) == (
        "dana@example.com",
        "news",
        True,
        "account",
    )
    assert statement.recorded_at >= before
    page = client.get("/account/preferences/").content.decode()
    assert 'name="news" id="id_news" checked' in page and 'name="recovery" id="id_recovery" checked' not in page

    client.post("/account/preferences/", {"news": "on"})  # nothing changed: nothing recorded
    assert Consent.objects.count() == 1


def test_issue14_a_withdrawal_on_the_account_outweighs_a_consent_given_at_checkout(client):
    earlier = timezone.now() - timedelta(days=3)
    for topic in ("news", "recovery"):
        record_consent(email="dana@example.com", topic=topic, granted=True, source="checkout:cs_1", recorded_at=earlier)
    sign_in_as(client, "dana@example.com")
    client.post("/account/preferences/", {})
    assert not has_consent("dana@example.com", "news") and not has_consent("dana@example.com", "recovery")
    # The same checkout applied again (a redelivered webhook) re-grants nothing.
    for topic in ("news", "recovery"):
        record_consent(
            email="dana@example.com", topic=topic, granted=True, source="checkout:cs_1", once_per_source=True
        )
    assert not has_consent("dana@example.com", "news")
    assert sorted(Consent.objects.filter(source="account").values_list("topic", "granted")) == [
        ("news", False),
        ("recovery", False),
    ]
