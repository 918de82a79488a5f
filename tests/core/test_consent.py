"""The consent log (core.consent): append-only statements, the latest per address and topic holds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.consent import has_consent, record_consent
from core.models import Consent

pytestmark = pytest.mark.django_db


def test_no_statement_is_no_consent():
    assert has_consent("dana@example.com", "recovery") is False


def test_the_latest_statement_wins_whatever_its_source():
    at_checkout = timezone.now() - timedelta(hours=2)
    record_consent(
        email="Dana@Example.com", topic="recovery", granted=True, source="checkout:cs_1", recorded_at=at_checkout
    )
    assert has_consent("dana@example.com", "recovery") is True
    assert has_consent("DANA@example.com ", "recovery") is True  # addresses compare lower-cased
    assert has_consent("dana@example.com", "news") is False  # per topic

    record_consent(email="dana@example.com", topic="recovery", granted=False, source="account")
    assert has_consent("dana@example.com", "recovery") is False

    record_consent(email="dana@example.com", topic="recovery", granted=True, source="account")
    assert has_consent("dana@example.com", "recovery") is True
    assert Consent.objects.filter(email="dana@example.com").count() == 3  # nothing replaced


def test_an_older_statement_recorded_late_does_not_override_a_newer_one():
    record_consent(email="lee@example.com", topic="news", granted=False, source="account")
    record_consent(
        email="lee@example.com",
        topic="news",
        granted=True,
        source="checkout:cs_old",
        recorded_at=timezone.now() - timedelta(days=1),
    )
    assert has_consent("lee@example.com", "news") is False


def test_once_per_source_does_not_regrant_what_was_withdrawn_since():
    first = record_consent(
        email="kim@example.com", topic="recovery", granted=True, source="checkout:cs_9", once_per_source=True
    )
    record_consent(email="kim@example.com", topic="recovery", granted=False, source="account")

    again = record_consent(
        email="kim@example.com", topic="recovery", granted=True, source="checkout:cs_9", once_per_source=True
    )

    assert first is not None and again is None
    assert has_consent("kim@example.com", "recovery") is False


def test_records_are_append_only_and_topics_are_checked():
    consent = record_consent(email="ana@example.com", topic="news", granted=True, source="staff:clerk")
    consent.granted = False
    with pytest.raises(ValueError, match="append-only"):
        consent.save()
    with pytest.raises(ValueError, match="topic"):
        record_consent(email="ana@example.com", topic="lessons", granted=True, source="x")
    with pytest.raises(ValueError, match="address"):
        record_consent(email="  ", topic="news", granted=True, source="x")
    assert Consent.objects.get().granted is True
