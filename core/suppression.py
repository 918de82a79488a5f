"""The suppression list: addresses the company no longer mails.

`suppress` adds an address and announces it (`address_suppressed`, sent inside the same
transaction) so the apps that hold mail for that address stop it in the same commit.
"""

import logging

from django.db import IntegrityError, transaction
from django.dispatch import Signal

from core.models import Suppression
from core.redaction import mask_email

logger = logging.getLogger(__name__)

# Sent with `email` (lower-cased) and `reason` inside suppress()'s transaction.
address_suppressed = Signal()


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=normalize_email(email)).exists()


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
