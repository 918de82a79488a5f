"""Erasure: the customer (from `/account/erase/`) or staff (from the admin, for a request that came by mail)
erase everything that ties an address to a person (README, "Your data").

In this order, so a failure leaves nothing half done that matters:
1. refuse while an order is paid and not shipped (shop.privacy: "we are packing your order");
2. on Stripe: cancel open checkouts, cancel the membership, delete the Stripe customer (a failure there stops
   the erasure before anything local changed);
3. stop every program (its own commit, so a lesson already claimed re-checks and skips);
4. in one transaction: orders, memberships and enrollments keep their facts under a pseudonym
   (`erased-<random>@invalid`, never mailed: core.mail); consents go; the suppression list keeps only a keyed
   hash of the address; the sign-in links go, which ends every session of the address; stored Stripe events
   that concern the person are scrubbed (payments.privacy); a `CustomerErasure` row records it, without the
   address;
5. a confirmation goes to the old address (MailKind.ACCOUNT: asked-for mail), and then the address is gone.
"""

import logging
import secrets

from django.db import transaction

from accounts.export import stripe_ids_of
from accounts.models import CustomerErasure, SignInLink
from billing import privacy as billing_privacy
from core.errors import Refusal
from core.mail import MailKind, send_templated_email
from core.privacy import forget_address
from core.redaction import loggable, mask_email
from core.suppression import address_hash, normalize_email
from payments.privacy import concerning, scrub_events
from programs import privacy as programs_privacy
from shop import privacy as shop_privacy

logger = logging.getLogger(__name__)


def new_pseudonym() -> str:
    """What replaces the address: random (two erasures of one address are not linked), under `.invalid`."""
    return f"erased-{secrets.token_hex(8)}@invalid"


def erasure_blocker(email: str) -> str | None:
    """Why the address cannot be erased now (a sentence saying what to do), or None."""
    try:
        shop_privacy.refuse_while_packing(normalize_email(email))
    except Refusal as refusal:
        return refusal.message
    return None


def _erase_locally(*, address: str, pseudonym: str, requested_by: str, note: str, stripe_ids: dict) -> CustomerErasure:
    with transaction.atomic():
        summary = {
            **shop_privacy.erase_orders(email=address, pseudonym=pseudonym),
            **billing_privacy.erase_memberships(email=address, pseudonym=pseudonym),
            **programs_privacy.erase_enrollments(email=address, pseudonym=pseudonym),
            **forget_address(email=address, source=f"erasure ({requested_by})"),
        }
        SignInLink.objects.filter(email=address).delete()
        summary["stripe_events_scrubbed"] = scrub_events(concerning(emails=[address], **stripe_ids))
        return CustomerErasure.objects.create(
            requested_by=requested_by[:200],
            note=note,
            email_hash=address_hash(address),
            pseudonym=pseudonym,
            summary=summary,
            stripe_customer_ids=sorted(stripe_ids["customer_ids"]),
            stripe_object_ids=sorted(stripe_ids["object_ids"]),
        )


def erase_customer(*, email: str, requested_by: str, note: str = "") -> CustomerErasure:
    """Erase the address (see the module's steps). Raises a `Refusal`: `order_being_packed` (409),
    `payment_unavailable` (503, Stripe could not be reached: nothing was erased), `invalid_email`."""
    address = normalize_email(email)
    if not address or "@" not in address:
        raise Refusal("invalid_email", "Enter the address to erase, like name@example.com.")
    shop_privacy.refuse_while_packing(address)
    checkouts = shop_privacy.close_open_checkouts(address)
    memberships = billing_privacy.end_on_stripe(email=address, actor=requested_by)
    stripe_ids = stripe_ids_of(address)
    stopped = programs_privacy.stop_for_erasure(address)
    erasure = _erase_locally(
        address=address, pseudonym=new_pseudonym(), requested_by=requested_by, note=note, stripe_ids=stripe_ids
    )
    erasure.summary.update(checkouts_cancelled=checkouts, memberships_cancelled=memberships, programs_stopped=stopped)
    erasure.save(update_fields=["summary"])
    _confirm(email.strip(), erasure)
    logger.info("erased %s as %s (%s)", mask_email(address), erasure.pseudonym, requested_by)
    return erasure


def _confirm(email: str, erasure: CustomerErasure) -> None:
    """Tell the old address what was done: the last mail it gets from us unless it asks again."""
    try:
        send_templated_email(
            to=email,
            kind=MailKind.ACCOUNT,
            subject="Your Hod & Hod data has been erased",
            template="accounts/email/erased",
            context={"summary": erasure.summary, "erased_at": erasure.created_at},
        )
    except Exception as exc:  # noqa: BLE001 - the erasure stands; only its confirmation is missing
        logger.error("the erasure confirmation to %s was not sent: %s", mask_email(email), loggable(exc))
