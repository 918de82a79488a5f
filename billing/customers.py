"""The one Stripe customer of each email, made on first use and reused: a member who leaves and rejoins
pays with the customer (and the card) Stripe already knows."""

import hashlib

from django.db import IntegrityError, transaction

from billing.models import BillingCustomer
from payments.client import get_stripe_client


def customer_for_email(*, email: str) -> BillingCustomer:
    """The email's (lower-cased) Stripe customer, made now if it has none. Raises `stripe.StripeError`.

    The idempotency key is derived from the email, so two first joins at once get one Stripe customer."""
    existing = BillingCustomer.objects.filter(email=email).first()
    if existing is not None:
        return existing
    digest = hashlib.sha256(email.encode()).hexdigest()[:40]
    customer = get_stripe_client().v1.customers.create(
        params={"email": email, "metadata": {"app": "hodhod-billing"}},
        options={"idempotency_key": f"hodhod:billing:customer:{digest}"},
    )
    try:
        with transaction.atomic():
            return BillingCustomer.objects.create(email=email, stripe_customer_id=customer.id)
    except IntegrityError:  # the other first join stored it a moment ago
        return BillingCustomer.objects.get(email=email)
