"""The consent log: what each person agreed to be mailed about, one appended statement at a time.

`record_consent` appends a statement (a grant or not) for an address and a topic; `has_consent` reads the
latest one. A later statement wins whatever its source: a withdrawal on the account page after a consent
given at a checkout stops the mail that needed it, and a consent given again later restarts it. Nothing is
ever updated or deleted here (an erasure is the accounts app's business), so the log shows who said what,
where and when.

Topics: `news` (news and offers) and `recovery` (one reminder of a checkout left unfinished). The one mail
function still applies the suppression list on top (core.mail): consent never lifts a suppression.
"""

from collections.abc import Iterable
from datetime import datetime

from core.models import Consent
from core.suppression import normalize_email

TOPICS = frozenset(Consent.Topic.values)


def record_consent(
    *,
    email: str,
    topic: str,
    granted: bool,
    source: str,
    recorded_at: datetime | None = None,
    once_per_source: bool = False,
) -> Consent | None:
    """Append one statement; the new record, or None when nothing was recorded.

    `source` says where it was given (`checkout:cs_…`, `account`, `staff:…`). With `once_per_source`, a
    statement this source already made for this address and topic records nothing: a Checkout Session that
    is applied again (a redelivered webhook, the success page, reconciliation) must not re-grant what the
    person withdrew since. Raises ValueError for an unknown topic or an empty address."""
    if topic not in TOPICS:
        raise ValueError(f"unknown consent topic {topic!r} (one of {sorted(TOPICS)})")
    email = normalize_email(email)
    if not email:
        raise ValueError("a consent needs an email address")
    source = (source or "")[:200]
    if once_per_source and Consent.objects.filter(email=email, topic=topic, source=source).exists():
        return None
    fields = {"recorded_at": recorded_at} if recorded_at is not None else {}
    return Consent.objects.create(email=email, topic=topic, granted=bool(granted), source=source, **fields)


def record_consents_once(*, email: str, topics: Iterable[str], granted: bool, source: str) -> int:
    """`record_consent(…, once_per_source=True)` for several topics in two queries (one read, one insert):
    a Checkout Session's answer covers two topics, and a paid webhook should not pay four round trips for it.
    The number of statements recorded."""
    topics = list(dict.fromkeys(topics))
    if unknown := [topic for topic in topics if topic not in TOPICS]:
        raise ValueError(f"unknown consent topics {unknown!r} (of {sorted(TOPICS)})")
    email = normalize_email(email)
    if not email:
        raise ValueError("a consent needs an email address")
    source = (source or "")[:200]
    stated = set(Consent.objects.filter(email=email, source=source, topic__in=topics).values_list("topic", flat=True))
    new = [Consent(email=email, topic=t, granted=bool(granted), source=source) for t in topics if t not in stated]
    Consent.objects.bulk_create(new)
    return len(new)


def has_consent(email: str, topic: str) -> bool:
    """Whether the latest statement of `email` about `topic` is a grant (no statement: no consent)."""
    latest = (
        Consent.objects.filter(email=normalize_email(email), topic=topic)
        .order_by("-recorded_at", "-pk")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)
