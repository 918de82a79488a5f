"""One customer's memberships, for the accounts app; and the hook through which the accounts app tells billing's
`/account/billing/` page who is signed in (billing imports nothing of accounts: the arrows point one way, as
`billing.selectors.register_granted_programs` does for programs).

A customer is an email address; billing keeps it lower-cased (core.suppression.normalize_email).
"""

from collections.abc import Callable

from django.db.models import QuerySet

from billing.models import BillingCustomer, Subscription
from core.suppression import normalize_email

# fn(request) -> the signed-in customer's address, or None.
SignedInCustomer = Callable[[object], str | None]
_signed_in: list[SignedInCustomer] = []


def register_signed_in_customer(function: SignedInCustomer) -> SignedInCustomer:
    """Called once by the app that signs customers in (in its `AppConfig.ready`)."""
    if function not in _signed_in:
        _signed_in.append(function)
    return function


def signed_in_customer(request) -> str | None:
    """The address of the customer signed in on this request, if an app that signs customers in says so."""
    for function in _signed_in:
        email = function(request)
        if email:
            return email
    return None


def memberships_of(email: str) -> QuerySet[Subscription]:
    """Every membership of the address, newest first, with its plan and Stripe customer."""
    address = normalize_email(email)
    found = Subscription.objects.filter(email=address) if address else Subscription.objects.none()
    return found.select_related("plan", "customer").order_by("-created_at", "-pk")


def current_membership(email: str) -> Subscription | None:
    """The membership the account shows and the portal opens: one that gives access, else one that has not
    ended, else the newest (one query)."""
    memberships = list(memberships_of(email))
    for wanted in (lambda s: s.has_access, lambda s: s.status not in Subscription.ENDED_STATUSES, lambda s: True):
        found = next((s for s in memberships if wanted(s)), None)
        if found is not None:
            return found
    return None


def billing_customer_of(email: str) -> BillingCustomer | None:
    address = normalize_email(email)
    return BillingCustomer.objects.filter(email=address).first() if address else None
