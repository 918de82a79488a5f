"""What core keeps about one person, for the accounts app's export and erasure (README, "Your data"): their
consent statements and their suppression entries; and `as_record`, the one way every app writes a row of
theirs into the export.
"""

import datetime as dt
from decimal import Decimal

from django.db import models, transaction

from core.models import Consent
from core.suppression import entries_for, keep_only_hash, normalize_email


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def as_record(instance: models.Model, *, exclude: frozenset[str] | set[str] = frozenset()) -> dict:
    """A row as the export writes it: every stored field (a foreign key as its id, `<name>_id`), times in ISO
    8601, money as a decimal string; fields named in `exclude` (access tokens, our own hashes) left out."""
    record = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.attname in exclude:
            continue
        record[field.attname] = _plain(getattr(instance, field.attname))
    return record


def consents_of(email: str) -> list[dict]:
    """Every consent statement about the address, oldest first."""
    statements = Consent.objects.filter(email=normalize_email(email)).order_by("recorded_at", "pk")
    return [as_record(statement, exclude={"id"}) for statement in statements]


def suppression_of(email: str) -> list[dict]:
    """The address's suppression entries (by the address, or by its keyed hash)."""
    return [as_record(entry, exclude={"id"}) for entry in entries_for(email).order_by("created_at")]


@transaction.atomic
def forget_address(*, email: str, source: str) -> dict:
    """An erasure's part in core: the consent statements go (there is nothing left to mail them about), and the
    suppression list keeps only a keyed hash of the address (core.suppression.keep_only_hash)."""
    consents, _ = Consent.objects.filter(email=normalize_email(email)).delete()
    keep_only_hash(email=email, source=source)
    return {"consents_deleted": consents}
