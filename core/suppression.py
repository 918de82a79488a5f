"""The suppression list: addresses the company no longer mails.

`suppress` adds an address and announces it (`address_suppressed`, sent inside the same
transaction) so the apps that hold mail for that address stop it in the same commit.

An erased person's entry keeps no address, only `address_hash(email)`, a keyed hash (HMAC-SHA256 under
SECRET_KEY): enough to recognise the address when something is about to be mailed to it, not to recover it.
Every check here looks at both.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils.crypto import salted_hmac

from core.models import Suppression
from core.redaction import mask_email

logger = logging.getLogger(__name__)

# Sent with `email` (lower-cased) and `reason` inside suppress()'s transaction.
address_suppressed = Signal()

# What a customer may lift themselves, once signed in (their own choices, not a bounce or a complaint).
SELF_LIFTABLE = frozenset({Suppression.Reason.STOP_ALL, Suppression.Reason.ERASED})


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def address_hash(email: str) -> str:
    """The keyed hash of an address (normalised) that an erased person's suppression entry keeps.
    Rotating SECRET_KEY forgets which addresses they were: erased people could be mailed again (README)."""
    return salted_hmac("core.suppression.address", normalize_email(email), algorithm="sha256").hexdigest()


def entries_for(email: str):
    """The address's entries: by the address itself, or by its keyed hash (an erased person's)."""
    return Suppression.objects.filter(Q(email=normalize_email(email)) | Q(email_hash=address_hash(email)))


def is_suppressed(email: str) -> bool:
    return bool(normalize_email(email)) and entries_for(email).exists()


@transaction.atomic
def suppress(*, email: str, reason: str, source: str = "") -> Suppression:
    """Never mail this address again (the first reason recorded stays); announce it either way."""
    email = normalize_email(email)
    try:
        with transaction.atomic():
            entry, _ = Suppression.objects.get_or_create(email=email, defaults={"reason": reason, "source": source})
    except IntegrityError:  # a concurrent suppress of the same address won
        entry = Suppression.objects.get(email=email)
    address_suppressed.send(sender=Suppression, email=email, reason=reason)
    logger.info("suppressed %s (%s)", mask_email(email), reason)
    return entry


@transaction.atomic
def keep_only_hash(*, email: str, source: str) -> Suppression:
    """An erasure: the address's entries give way to one that keeps only its keyed hash, so it is never mailed
    again unasked, yet nothing of it can be read back. A hard bounce stays a hard bounce (nothing goes to an
    address that does not exist); anything else becomes `erased`."""
    email = normalize_email(email)
    digest = address_hash(email)
    reasons = set(entries_for(email).values_list("reason", flat=True))
    reason = Suppression.Reason.HARD_BOUNCE if Suppression.Reason.HARD_BOUNCE in reasons else Suppression.Reason.ERASED
    Suppression.objects.filter(email=email).delete()
    entry, _ = Suppression.objects.update_or_create(email_hash=digest, defaults={"reason": reason, "source": source})
    return entry


@transaction.atomic
def lift_own_suppression(*, email: str) -> int:
    """The person, signed in with their address, asks for mail again: their "stop all" or erasure entry goes
    (a bounce, a complaint or a staff entry stays). The number of entries lifted."""
    deleted, _ = entries_for(email).filter(reason__in=SELF_LIFTABLE).delete()
    if deleted:
        logger.info("%s asked for mail again", mask_email(email))
    return deleted
