"""`/account/data.json`: everything Hod & Hod holds about the signed-in address, machine-readable (README,
"Your data": the format). Each app writes its own part (`<app>.privacy`); rows carry their stored fields
(core.privacy.as_record), without access tokens and our own hashes."""

from django.utils import timezone

from accounts.models import SignInLink
from billing import privacy as billing_privacy
from core.privacy import as_record, consents_of, suppression_of
from payments.privacy import concerning, event_summaries
from programs import privacy as programs_privacy
from shop import privacy as shop_privacy

FORMAT = "hodhod.account-export.v1"


def stripe_ids_of(email: str) -> dict[str, set[str]]:
    """Every Stripe object the address's orders and memberships name (customers, PaymentIntents, sessions, …)."""
    found: dict[str, set[str]] = {"customer_ids": set(), "payment_intent_ids": set(), "object_ids": set()}
    for part in (shop_privacy.stripe_ids_of(email), billing_privacy.stripe_ids_of(email)):
        for key, ids in part.items():
            found[key] |= ids
    return found


def export_data(email: str) -> dict:
    links = SignInLink.objects.filter(email=email).order_by("created_at")
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "email": email,
        "orders": shop_privacy.export_orders(email),
        "enrollments": programs_privacy.export_enrollments(email),
        "signup_confirmations": programs_privacy.export_signup_confirmations(email),
        **billing_privacy.export_memberships(email),
        "consents": consents_of(email),
        "suppression": suppression_of(email),
        "sign_in_links": [as_record(link, exclude={"id", "token_hash"}) for link in links],
        "stripe_events": event_summaries(concerning(emails=[email], **stripe_ids_of(email))),
    }
