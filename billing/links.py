"""The signed link in membership emails that opens the customer portal: `/account/billing/?link=<signed>`.

It names the subscription by its primary key, signed and timed (django.core.signing), so the email carries no
access token; the page it opens shows a button that POSTs (a mail scanner following the link opens nothing).
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing

from billing.models import Subscription

SALT = "billing.portal-link"
LINK_MAX_AGE = timedelta(days=45)  # past Stripe's retries of a failed renewal (about three weeks)


def portal_link(subscription: Subscription) -> str:
    return f"{settings.SITE_URL}/account/billing/?link={signing.dumps(subscription.pk, salt=SALT)}"


def subscription_for_link(value: str) -> Subscription | None:
    """The subscription a signed link names, or None (forged, expired, or not ours)."""
    if not value or len(value) > 200:
        return None
    try:
        pk = signing.loads(value, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if isinstance(pk, bool) or not isinstance(pk, int):
        return None
    return Subscription.objects.select_related("plan", "customer").filter(pk=pk).first()
