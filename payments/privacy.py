"""Personal data in stored Stripe events: found, and scrubbed.

Events stay (their ids make every delivery idempotent, and they are the audit of what Stripe told us); what goes
is the person in them: names, email addresses, phone numbers, postal addresses, tax ids, wherever Stripe puts
them (a Checkout Session's `customer_details` and `collected_information`, a charge's `billing_details`, an
invoice's `customer_*` fields, a customer object's own fields, `previous_attributes`, …). Ids, amounts, statuses
and our metadata stay, so an event still says what happened, to which order or membership.

Two callers: the accounts app's erasure (the events that concern one person) and its daily retention pass
(every event older than STRIPE_EVENT_RETENTION_DAYS).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from payments.models import StripeEvent

# Keys whose whole value is about a person, wherever they appear. ("name" is not one: a product's, a price's or a
# shipping rate's name is not a person's; a person's name is inside these, or on a customer object.)
PERSONAL_KEYS = frozenset(
    {
        "email",
        "customer_email",
        "receipt_email",
        "customer_name",
        "phone",
        "customer_phone",
        "address",
        "customer_address",
        "shipping",
        "customer_shipping",
        "shipping_details",
        "customer_details",
        "billing_details",
        "collected_information",
        "customer_tax_ids",
        "tax_ids",
        "individual_name",
    }
)
CUSTOMER_KEYS = frozenset({"name", "description"})  # on a customer object (or its previous attributes)
SCRUB_BATCH = 500
# Events being applied right now are left alone: their handler reads the payload (shop.fulfilment).
SETTLED_STATES = (
    StripeEvent.State.PROCESSED,
    StripeEvent.State.IGNORED,
    StripeEvent.State.FAILED,
    StripeEvent.State.DEFERRED,
)


def scrub_value(value, *, customer: bool = False):
    """A copy of `value` (any part of a payload) with every personal value set to None; `customer` says the
    dict is a customer's fields even without `"object": "customer"` (a customer event's previous attributes)."""
    if isinstance(value, list):
        return [scrub_value(item) for item in value]
    if not isinstance(value, dict):
        return value
    is_customer = customer or value.get("object") == "customer"
    return {
        key: None if key in PERSONAL_KEYS or (is_customer and key in CUSTOMER_KEYS) else scrub_value(item)
        for key, item in value.items()
    }


def scrub_payload(payload: dict) -> dict:
    """A stored event's payload with the person taken out; ids, amounts, statuses and metadata kept."""
    scrubbed = scrub_value(payload)
    kind = payload.get("type") if isinstance(payload.get("type"), str) else ""
    data = scrubbed.get("data") if isinstance(scrubbed, dict) else None
    if kind.startswith("customer.") and not kind.startswith("customer.subscription") and isinstance(data, dict):
        previous = data.get("previous_attributes")
        if isinstance(previous, dict):
            data["previous_attributes"] = scrub_value(previous, customer=True)
    return scrubbed


def concerning(
    *,
    emails: Iterable[str] = (),
    customer_ids: Iterable[str] = (),
    payment_intent_ids: Iterable[str] = (),
    object_ids: Iterable[str] = (),
) -> QuerySet[StripeEvent]:
    """Events that name one of these email addresses (any case), Stripe customers, PaymentIntents, or objects
    (Checkout Sessions, subscriptions, invoices: the event's own object, or the one it belongs to)."""
    query = Q(pk__in=[])
    for email in {e for e in emails if e}:
        for path in ("customer_email", "customer_details__email", "email", "receipt_email", "billing_details__email"):
            query |= Q(**{f"payload__data__object__{path}__iexact": email})
    customers = sorted({c for c in customer_ids if c})
    if customers:
        query |= Q(payload__data__object__customer__in=customers) | Q(payload__data__object__customer__id__in=customers)
        query |= Q(payload__data__object__object="customer", payload__data__object__id__in=customers)
    intents = sorted({p for p in payment_intent_ids if p})
    if intents:
        query |= Q(payment_intent_id__in=intents) | Q(payload__data__object__payment_intent__in=intents)
    objects = sorted({o for o in object_ids if o})
    if objects:
        query |= Q(payload__data__object__id__in=objects) | Q(payload__data__object__subscription__in=objects)
        query |= Q(payload__data__object__parent__subscription_details__subscription__in=objects)
    return StripeEvent.objects.filter(query)


def scrub_events(events: QuerySet[StripeEvent], *, now: datetime | None = None) -> int:
    """Scrub the settled events among `events`, in batches, each event under its row lock; how many."""
    now = now or timezone.now()
    settled = events.filter(state__in=SETTLED_STATES)
    count = 0
    while True:
        with transaction.atomic():
            batch = list(
                StripeEvent.objects.select_for_update(skip_locked=True)
                .filter(pk__in=settled.filter(scrubbed_at__isnull=True).values("pk")[:SCRUB_BATCH])
                .filter(state__in=SETTLED_STATES)
            )
            for event in batch:
                event.payload = scrub_payload(event.payload)
                event.scrubbed_at = now
            StripeEvent.objects.bulk_update(batch, ["payload", "scrubbed_at"])
        count += len(batch)
        if len(batch) < SCRUB_BATCH:
            return count


def scrub_events_received_before(cutoff: datetime, *, now: datetime | None = None) -> int:
    """The retention pass: every settled event received before `cutoff` and not scrubbed yet."""
    return scrub_events(StripeEvent.objects.filter(received_at__lt=cutoff), now=now)


def event_summaries(events: QuerySet[StripeEvent]) -> list[dict]:
    """What the export says of the events: which, of what type, when (not Stripe's copy of the person)."""
    rows = events.order_by("received_at").values("id", "type", "received_at", "scrubbed_at")
    return [
        {**row, "received_at": row["received_at"].isoformat(), "scrubbed_at": _iso(row["scrubbed_at"])} for row in rows
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
