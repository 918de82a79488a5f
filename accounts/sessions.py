"""The customer's session: a signed value in the Django session, no Django user.

`sign_in` stores the address and the link that proved it, signed and timed (django.core.signing), and makes the
session last ACCOUNT_SESSION_DAYS, unless a staff user is signed in on the same browser: their session's expiry
is not ours to change, and the signed value's own age limit ends the customer's part on time anyway. A session
is the customer's while its link row exists: an erasure deletes the address's links, which ends every session.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user
from django.core import signing
from django.middleware.csrf import rotate_token

from accounts.models import SignInLink

SESSION_KEY = "account"
SALT = "accounts.session"


def _max_age() -> timedelta:
    return timedelta(days=settings.ACCOUNT_SESSION_DAYS)


def _staff_signed_in(request) -> bool:
    user = getattr(request, "user", None) or get_user(request)
    return bool(user and user.is_authenticated)


def sign_in(request, *, link: SignInLink) -> str | None:
    """Sign the browser in as the link's address (replacing any other customer it was signed in as, in a fresh
    session key); the address it was signed in as before, if another."""
    before = signed_in_email(request)
    request.session.cycle_key()  # no session fixation: a key someone planted is not the one signed in
    rotate_token(request)
    request.session[SESSION_KEY] = signing.dumps({"email": link.email, "link": link.pk}, salt=SALT)
    if not _staff_signed_in(request):
        request.session.set_expiry(int(_max_age().total_seconds()))
    request._account_email = link.email
    return before if before and before != link.email else None


def sign_out(request) -> None:
    """End the customer's session; a staff user signed in on the same browser stays signed in."""
    if _staff_signed_in(request):
        request.session.pop(SESSION_KEY, None)
    else:
        request.session.flush()
    request._account_email = None


def signed_in_email(request) -> str | None:
    """The address the browser is signed in as, or None (never signed in, signed out, too old, or erased).
    One query the first time in a request."""
    if hasattr(request, "_account_email"):
        return request._account_email
    email = None
    value = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if isinstance(value, str):
        try:
            data = signing.loads(value, salt=SALT, max_age=_max_age())
        except signing.BadSignature:  # SignatureExpired is one too
            data = None
        if isinstance(data, dict) and SignInLink.objects.filter(pk=data.get("link"), email=data.get("email")).exists():
            email = data["email"]
    request._account_email = email
    return email
