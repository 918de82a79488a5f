"""The double opt-in mail of a free signup: its signed link, how often it may go, and sending it.

Anyone can type anyone's address into the signup, so the confirmation is limited per address and
program (issue 10: forty mails reached a stranger in two seconds): at most
`CONFIRMATIONS_PER_DAY` in 24 hours, at least `CONFIRMATION_INTERVAL` apart. Each mail is a
`SignupConfirmationMail` row, counted in the database while `signups.signup` holds the
program's row lock, so the limit holds across processes and for requests that arrive together.
The mail greets nobody by name: a name typed into the signup is nobody's until the link is clicked.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core.mail import MailKind, send_templated_email
from core.redaction import mask_email
from core.suppression import normalize_email
from programs.models import Enrollment, SignupConfirmationMail

logger = logging.getLogger(__name__)

SIGNUP_SALT = "programs.signup-confirmation"
SIGNUP_MAX_AGE = dt.timedelta(days=7)

CONFIRMATIONS_PER_DAY = 3
CONFIRMATION_INTERVAL = dt.timedelta(minutes=10)
CONFIRMATION_WINDOW = dt.timedelta(days=1)


def signup_token(enrollment: Enrollment) -> str:
    return signing.dumps({"e": enrollment.pk, "t": enrollment.token[:8]}, salt=SIGNUP_SALT, compress=True)


def confirmation_url(enrollment: Enrollment) -> str:
    return f"{settings.SITE_URL}{reverse('programs:confirm', args=[signup_token(enrollment)])}"


def enrollment_from_signup_token(value: str) -> Enrollment | None:
    """The enrollment a confirmation link names, or None for a link that is forged, mangled or older than a week."""
    try:
        data = signing.loads(value, salt=SIGNUP_SALT, max_age=SIGNUP_MAX_AGE)
        enrollment = Enrollment.objects.select_related("program").get(pk=int(data["e"]))
    except (signing.BadSignature, Enrollment.DoesNotExist, KeyError, TypeError, ValueError):
        return None
    return enrollment if enrollment.token.startswith(str(data.get("t", "-"))) else None


def claim_confirmation(*, enrollment: Enrollment, now: dt.datetime) -> SignupConfirmationMail | None:
    """Record a confirmation to send now, or None when the address had its share.

    The caller holds the program's row lock (`signups.signup`), so two requests never
    both see room for one more.
    """
    window_start = now - CONFIRMATION_WINDOW
    SignupConfirmationMail.objects.filter(program=enrollment.program_id, sent_at__lte=window_start).delete()
    email = normalize_email(enrollment.email)
    sent = list(
        SignupConfirmationMail.objects.filter(
            program=enrollment.program_id, email=email, sent_at__gt=window_start
        ).values_list("sent_at", flat=True)
    )
    if len(sent) >= CONFIRMATIONS_PER_DAY or any(at > now - CONFIRMATION_INTERVAL for at in sent):
        logger.info("confirmation to %s not sent: asked again too soon", mask_email(email))
        return None
    return SignupConfirmationMail.objects.create(program_id=enrollment.program_id, email=email, sent_at=now)


def send_confirmation(*, enrollment_id: int, claim_id: int) -> None:
    """Mail the link (after the signup commits). A mail that could not go frees its claim: asking again sends it."""
    enrollment = Enrollment.objects.select_related("program").get(pk=enrollment_id)
    try:
        send_templated_email(
            to=enrollment.email,
            kind=MailKind.SIGNUP_CONFIRMATION,
            subject=f"Confirm: {enrollment.program.name}",
            template="programs/email/confirm_signup",
            # No enrollment and no name: nothing the stranger typed besides the address reaches the mail.
            context={"program": enrollment.program, "confirm_url": confirmation_url(enrollment)},
            from_email=settings.PROGRAMS_FROM_EMAIL,
        )
    except Exception:  # the signup stays pending
        SignupConfirmationMail.objects.filter(pk=claim_id).delete()
        logger.exception("could not send the confirmation to %s", mask_email(enrollment.email))
