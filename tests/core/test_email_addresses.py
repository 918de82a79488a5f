"""core.email_addresses: the one check of a typed email address. Found by the outside probe of 2026-11-30:
`zoe@exa\u2028mple.com` passed Django's validator, then Stripe refused it (checkout answered 503 "try again
shortly", for good) and the sign-in mail failed; `jane@ex\u200bample.com` passed too and is mailed to
jane@example.com while counting as another address for the limits and the suppression list."""

import pytest
from django.core.exceptions import ValidationError

from core.email_addresses import validate_email_address


@pytest.mark.parametrize(
    "address",
    [
        "zoe@exa\u2028mple.com",  # LINE SEPARATOR: IDNA refuses it
        "jane@ex\u200bample.com",  # ZERO WIDTH SPACE: IDNA drops it, the mail reaches example.com
        "jane@ex\u00adample.com",  # SOFT HYPHEN: dropped too
        "jane@\uff45xample.com",  # FULLWIDTH e: folded to an ASCII e
        "jane@exa\u3000mple.com",  # IDEOGRAPHIC SPACE
        "not an address",
        "",
    ],
)
def test_addresses_mail_would_not_reach_as_typed_are_refused(address):
    with pytest.raises(ValidationError) as refusal:
        validate_email_address(address)
    assert refusal.value.code == "invalid"


@pytest.mark.parametrize(
    "address",
    ["jane@example.com", "Jane.Doe+shop@Example.COM", "jane@exämple.com", "JANE@EXÄMPLE.DE", "jane@bücher.example"],
)
def test_ordinary_and_international_addresses_pass(address):
    validate_email_address(address)
