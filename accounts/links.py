"""Sign-in links by email: asked for with an address, mailed, used once.

Whatever the address (known to us or not, limited or not), the asker gets the same answer, so the form and the
API tell nobody whether an address has orders here. A link is 256 bits from the OS (core.tokens), valid
ACCOUNT_SIGN_IN_LINK_MINUTES, single use and bound to its address; only its SHA-256 is stored. Opening it (GET)
shows a button, and only the POST signs in: a mail scanner that follows links signs no one in.

Limits (core.ratelimits, fixed windows in the shared cache): ACCOUNT_SIGN_IN_REQUESTS_PER_CLIENT_PER_HOUR asks
per client address, and ACCOUNT_SIGN_IN_LINKS_PER_EMAIL links per address within a link's life, the latter
also counted in the database, so it holds even where the cache is per process.
"""

import enum
import hashlib
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import SignInLink
from core.mail import MailKind, send_templated_email
from core.ratelimits import keyed_hash, take_hit
from core.redaction import loggable, mask_email
from core.suppression import normalize_email
from core.tokens import new_token

logger = logging.getLogger(__name__)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")


class LinkState(enum.StrEnum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(minutes=settings.ACCOUNT_SIGN_IN_LINK_MINUTES)


def _within_limits(address: str, client: str) -> bool:
    """Count this ask against the client's and the address's limits; False past either."""
    if client and take_hit(
        "account_sign_in_client",
        keyed_hash("accounts.client", client),
        allowed=settings.ACCOUNT_SIGN_IN_REQUESTS_PER_CLIENT_PER_HOUR,
        per_seconds=3600,
    ):
        return False
    lifetime = _lifetime()
    allowed = settings.ACCOUNT_SIGN_IN_LINKS_PER_EMAIL
    if take_hit(
        "account_sign_in_email",
        keyed_hash("accounts.email", address),
        allowed=allowed,
        per_seconds=int(lifetime.total_seconds()),
    ):
        return False
    recent = SignInLink.objects.filter(email=address, created_at__gt=timezone.now() - lifetime)
    return recent.count() < allowed


def request_sign_in_link(*, email: str, client: str = "") -> bool:
    """Mail a sign-in link to `email` unless a limit says no; True when one went out. Callers answer the same
    either way. `client` is the asker's address (core.ratelimits.client_address), "" for none."""
    address = normalize_email(email)
    if not address or not _within_limits(address, client):
        logger.info("no sign-in link for %s (limited)", mask_email(address))
        return False
    token, now = new_token(), timezone.now()
    link = SignInLink.objects.create(
        email=address, token_hash=token_hash(token), created_at=now, expires_at=now + _lifetime()
    )
    try:
        sent = send_templated_email(
            to=email.strip(),
            kind=MailKind.SIGN_IN,
            subject="Your Hod & Hod sign-in link",
            template="accounts/email/sign_in",
            context={
                "url": f"{settings.SITE_URL}/account/sign-in/{token}/",
                "minutes": int(_lifetime().total_seconds() // 60),
            },
        )
    except Exception as exc:  # noqa: BLE001 - the mail server is down: the asker may ask again
        logger.error("the sign-in link for %s was not sent: %s", mask_email(address), loggable(exc))
        sent = None
    if sent is None:
        link.delete()
        return False
    return True


def link_state(token: str) -> LinkState:
    """What a link is now, without using it (the GET page)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return LinkState.UNKNOWN
    link = SignInLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None:
        return LinkState.UNKNOWN
    if link.used_at is not None:
        return LinkState.USED
    return LinkState.EXPIRED if link.expires_at <= timezone.now() else LinkState.VALID


def redeem_link(token: str) -> SignInLink | None:
    """Use the link: the one request that marks it used (a single UPDATE, so two at once cannot both win) gets
    it; anyone else, later, or after it expired gets None."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    now = timezone.now()
    digest = token_hash(token)
    used = SignInLink.objects.filter(token_hash=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    return SignInLink.objects.get(token_hash=digest) if used else None
