"""What the accounts app does when something else happens."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="accounts.staff_sessions_keep_their_own_expiry")
def staff_sessions_keep_their_own_expiry(sender, request, user, **kwargs):
    """A staff user who signs in on a browser where a customer is signed in gets the site's session length, not
    the customer's ACCOUNT_SESSION_DAYS (Django keeps a session's expiry when it cycles the key at login)."""
    if request is not None and hasattr(request, "session") and "_session_expiry" in request.session:
        request.session.set_expiry(None)
