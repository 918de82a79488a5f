"""The one check of an email address a person types: checkout, membership, sign-in, free signup.

Django's EmailValidator lets any character from U+00A1 up into the domain. Mail goes out with the domain
encoded by Python's IDNA codec (as Django's mail backends encode it), which refuses some of them (U+2028:
the send fails, and Stripe refuses the address, so a checkout answered 503 "try again shortly" for good) and
silently drops or folds others (a zero-width space, a full-width letter): `jane@ex\u200bample.com` is another
address to the per-address limits and to the suppression list, yet its mail reaches jane@example.com.
A domain must come back from IDNA as it was typed (letters' case aside).
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MESSAGE = "Enter a valid email address, like name@example.com."


def validate_email_address(value: str) -> None:
    """Django's check, and a domain that IDNA neither refuses nor changes. Raises ValidationError (`invalid`)."""
    validate_email(value)
    domain = value.rsplit("@", 1)[1]
    if domain.isascii():
        return
    try:
        unchanged = domain.encode("idna").decode("idna").lower() == domain.lower()
    except UnicodeError:
        unchanged = False
    if not unchanged:
        raise ValidationError(MESSAGE, code="invalid")
