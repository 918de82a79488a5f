"""The customer's email preferences: what they agree to be mailed about (core.consent: product news, and a
reminder of a checkout left unfinished), "stop all", and starting mail again.

A statement made here is appended to the consent log with its time and the source `account`; the latest
statement wins whatever its source, so a withdrawal here outlasts a consent given at an earlier checkout.
"""

from core.consent import has_consent, record_consent
from core.models import Consent, Suppression
from core.suppression import lift_own_suppression, suppress
from programs.privacy import stop_all as stop_all_programs

TOPICS = (Consent.Topic.NEWS, Consent.Topic.RECOVERY)
SOURCE = "account"


def preferences_of(email: str) -> dict[str, bool]:
    """Topic → whether the address's latest statement about it is a grant."""
    return {topic: has_consent(email, topic) for topic in TOPICS}


def save_preferences(*, email: str, wanted: dict[str, bool]) -> list[str]:
    """Record a statement for each topic whose answer changed; the topics recorded."""
    current = preferences_of(email)
    changed = [topic for topic in TOPICS if bool(wanted.get(topic)) != current[topic]]
    for topic in changed:
        record_consent(email=email, topic=topic, granted=bool(wanted.get(topic)), source=SOURCE)
    return changed


def stop_all(email: str) -> int:
    """Everything the person did not just ask for stops, in one step: every program (unsubscribed, unsent lessons
    cancelled), news and reminders (consent withdrawn), and the address goes on the suppression list (`stop_all`),
    which holds back every mail of those kinds from now on (core.mail). Order, membership and sign-in mail still
    go. The number of programs stopped."""
    stopped = stop_all_programs(email)
    for topic in TOPICS:
        record_consent(email=email, topic=topic, granted=False, source=f"{SOURCE}:stop_all")
    suppress(email=email, reason=Suppression.Reason.STOP_ALL, source=SOURCE)
    return stopped


def start_mail_again(email: str) -> int:
    """Lift the address's own "stop all" (or the erasure of an earlier account): lessons of programs taken up
    again, welcome and signup mail may go once more. News waits for a consent. A bounce or a complaint stays."""
    return lift_own_suppression(email=email)
