"""What billing holds about one customer (an email address), for the accounts app's export and erasure (README,
"Your data").

Erasure ends the membership on Stripe first (`subscriptions.cancel`, brought in line here through
`sync_subscription`, the one place a subscription changes) and deletes the Stripe customer (`customers.delete`:
Stripe forgets the card and the address). Then the memberships, invoices and their history stay for the accounts,
under the erasure's pseudonym (never mailed: core.mail).
"""

import logging
import re

import stripe
from django.db import transaction

from billing.customer import billing_customer_of, memberships_of
from billing.errors import MembershipError
from billing.models import BillingCustomer, Invoice, MembershipEmail, Subscription, SubscriptionEvent
from billing.sync import sync_subscription
from core.privacy import as_record
from core.redaction import loggable
from core.suppression import normalize_email
from payments.client import as_dict, get_stripe_client

logger = logging.getLogger(__name__)
MASKED_EMAIL = re.compile(r"\S\*\*\*@\S+")  # core.redaction.mask_email's form, as the history names the address
CANCELLABLE = (
    Subscription.Status.TRIALING,
    Subscription.Status.ACTIVE,
    Subscription.Status.PAST_DUE,
    Subscription.Status.UNPAID,
    Subscription.Status.PAUSED,
)


# --- export ---------------------------------------------------------------------------------


def _membership_record(subscription: Subscription) -> dict:
    record = as_record(subscription, exclude={"token", "checkout_url", "customer"})
    record["plan"] = {"slug": subscription.plan.slug, "name": subscription.plan.name}
    record["invoices"] = [as_record(invoice, exclude={"subscription"}) for invoice in subscription.invoices.all()]
    record["emails"] = [as_record(email, exclude={"subscription", "last_error"}) for email in subscription.emails.all()]
    record["events"] = [as_record(event, exclude={"subscription", "actor"}) for event in subscription.events.all()]
    return record


def export_memberships(email: str) -> dict:
    """The address's memberships with their invoices, emails and history, and its Stripe customer."""
    memberships = memberships_of(email).prefetch_related("invoices", "emails", "events")
    customer = billing_customer_of(email)
    return {
        "memberships": [_membership_record(subscription) for subscription in memberships],
        "billing_customer": as_record(customer, exclude={"id"}) if customer else None,
    }


def stripe_ids_of(email: str) -> dict[str, set[str]]:
    """The Stripe objects the address's memberships name: for finding the stored Stripe events about them."""
    memberships = list(memberships_of(email))
    customers = {s.customer.stripe_customer_id for s in memberships if s.customer}
    customer = billing_customer_of(email)
    if customer is not None:
        customers.add(customer.stripe_customer_id)
    objects = {s.stripe_subscription_id for s in memberships if s.stripe_subscription_id}
    objects |= {s.checkout_session_id for s in memberships if s.checkout_session_id}
    invoices = Invoice.objects.filter(subscription__in=memberships).values_list(
        "stripe_invoice_id", "payment_intent_id"
    )
    objects |= {invoice for invoice, _ in invoices}
    return {"customer_ids": customers, "object_ids": objects, "payment_intent_ids": {pi for _, pi in invoices if pi}}


# --- erasure --------------------------------------------------------------------------------


def _stripe_failed(action: str, exc: Exception) -> MembershipError:
    logger.error("erasure: %s failed: %s", action, loggable(exc))
    return MembershipError(
        "payment_unavailable", "Our payment provider could not be reached; nothing was erased. Try again shortly.", 503
    )


def end_on_stripe(*, email: str, actor: str) -> int:
    """Cancel every running membership of the address on Stripe now, bring each in line here, then delete the
    address's Stripe customer. MembershipError (503) when Stripe fails: nothing local has changed then. The
    number of memberships cancelled."""
    client = get_stripe_client()
    cancelled = 0
    for subscription in memberships_of(email).filter(status__in=CANCELLABLE).exclude(stripe_subscription_id=None):
        try:
            copy = client.v1.subscriptions.cancel(subscription.stripe_subscription_id)
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_missing":
                raise _stripe_failed("cancelling a membership", exc) from None
            continue  # Stripe has no such subscription (its customer was deleted): reconciliation tells us
        except stripe.StripeError as exc:
            raise _stripe_failed("cancelling a membership", exc) from None
        message = "Cancelled: the member asked us to erase their data."
        sync_subscription(subscription_id=subscription.pk, actor=actor, copy=as_dict(copy), message=message)
        cancelled += 1
    customer = billing_customer_of(email)
    if customer is not None:
        try:
            client.v1.customers.delete(customer.stripe_customer_id)
        except stripe.InvalidRequestError as exc:
            if exc.code != "resource_missing":  # deleted already: nothing left to do
                raise _stripe_failed("deleting the Stripe customer", exc) from None
        except stripe.StripeError as exc:
            raise _stripe_failed("deleting the Stripe customer", exc) from None
    return cancelled


@transaction.atomic
def erase_memberships(*, email: str, pseudonym: str) -> dict:
    """The address's memberships, invoices and history stay for the accounts under the pseudonym. The member's
    rows are locked in primary-key order, as every membership change takes them."""
    address = normalize_email(email)
    rows = list(Subscription.objects.select_for_update(of=("self",)).filter(email=address).order_by("pk"))
    Subscription.objects.filter(pk__in=[row.pk for row in rows]).update(email=pseudonym, checkout_url="")
    BillingCustomer.objects.filter(email=address).update(email=pseudonym)
    events = list(SubscriptionEvent.objects.filter(subscription__in=rows, message__contains="***@"))
    for event in events:
        event.message = MASKED_EMAIL.sub("an erased address", event.message)
    SubscriptionEvent.objects.bulk_update(events, ["message"], batch_size=200)
    MembershipEmail.objects.filter(subscription__in=rows).exclude(last_error="").update(last_error="")
    return {"memberships": len(rows)}
