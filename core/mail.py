"""The one function that sends email: multipart text + HTML from two templates, and the one place
that applies the suppression list.

Mail kinds (the README's contract): suppression — a bounce, a complaint, "stop all", an erasure —
blocks every mail the person did not just ask for (lessons, signup confirmations, welcome and
recovery mail, news). Mail about something they bought or joined (order, shipping, refund, return,
membership and payment-failed mail), sign-in links they requested, what their account confirms (an erasure
they asked for), staff test sends and alerts to staff (a product low on stock, a refund that failed) still go, unless the address
hard-bounced: nothing reaches an address that does not exist. An erased person's entry holds only a keyed hash
of the address (core.suppression), and is checked all the same; nothing at all goes to an address under the
reserved `.invalid` domain (RFC 2606), which is where erasure sends the pseudonyms it leaves on orders,
enrollments and memberships.
"""

import logging
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string

from core.models import Suppression
from core.redaction import mask_email
from core.suppression import entries_for, normalize_email

logger = logging.getLogger(__name__)


class MailKind(StrEnum):
    LESSON = "lesson"
    SIGNUP_CONFIRMATION = "signup_confirmation"
    WELCOME = "welcome"
    RECOVERY = "recovery"
    NEWS = "news"
    ORDER = "order"  # confirmation, shipping, refund, return
    MEMBERSHIP = "membership"
    PAYMENT_FAILED = "payment_failed"
    SIGN_IN = "sign_in"
    ACCOUNT = "account"  # what the customer's account confirms: their erasure
    STAFF_TEST = "staff_test"
    STAFF_ALERT = "staff_alert"  # to the shop's own staff: a product low on stock, a refund that failed


# What suppression does not block: the person bought, joined or asked for it.
REQUESTED_KINDS = frozenset(
    {
        MailKind.ORDER,
        MailKind.MEMBERSHIP,
        MailKind.PAYMENT_FAILED,
        MailKind.SIGN_IN,
        MailKind.ACCOUNT,
        MailKind.STAFF_TEST,
        MailKind.STAFF_ALERT,
    }
)
# How a Celery task that sends one recorded email retries: only what the mail server's connection raised (OSError:
# refused, reset, timed out; SMTP errors are OSErrors too), every 30 s, 1 min, 2 min … up to an hour, 8 times;
# after that the row stays unsent for its app's reconciliation. `@shared_task(name=…, **MAIL_TASK_RETRY)`.
MAIL_TASK_RETRY = {"autoretry_for": (OSError,), "retry_backoff": 30, "retry_backoff_max": 3600, "max_retries": 8}
UNDELIVERABLE_TLD = "invalid"  # RFC 2606: never a real host; erasure's pseudonyms live there


def is_undeliverable(email: str) -> bool:
    """An address under the reserved `invalid` top-level domain (an erasure's pseudonym): nothing goes there."""
    domain = normalize_email(email).rpartition("@")[2]
    return domain.rpartition(".")[2] == UNDELIVERABLE_TLD


def may_mail(email: str, kind: MailKind) -> bool:
    """Whether mail of `kind` may go to `email` under the suppression list (one query; none for a pseudonym)."""
    if is_undeliverable(email):
        return False
    reasons = set(entries_for(email).values_list("reason", flat=True))
    if not reasons:
        return True
    return MailKind(kind) in REQUESTED_KINDS and Suppression.Reason.HARD_BOUNCE not in reasons


def mail_connection():
    """A connection to the configured mail backend, for a caller that sends a batch over one (closed by the caller).

    The only way another app reaches the mail backend: every message still goes through `send_templated_email`."""
    return get_connection()


def send_templated_email(
    *,
    to: str,
    kind: MailKind,
    subject: str,
    template: str,
    context: dict,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    connection=None,
    metadata: dict[str, str | int] | None = None,
) -> str | None:
    """Render `<template>.txt` and `<template>.html`, send both parts, return the message id, or None when
    the suppression list blocks mail of this kind to this address (nothing is sent).

    The message id is the one the ESP reports in its tracking events when an anymail backend gives one,
    else the Message-ID header. `metadata` rides along as anymail metadata (ignored by plain SMTP).

    Raises whatever the email backend raises (SMTP errors and the like): callers that
    retry decide what is transient.
    """
    if not may_mail(to, kind):
        logger.info("%s mail to %s not sent: the address is suppressed", kind, mask_email(to))
        return None
    context = {"SITE_URL": settings.SITE_URL, **context}
    text_body = render_to_string(f"{template}.txt", context)
    html_body = render_to_string(f"{template}.html", context)
    message_id = make_msgid(domain=settings.SITE_URL.split("://")[-1].split(":")[0].split("/")[0] or "hodhod")
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, **(headers or {})},
        connection=connection or get_connection(),
    )
    message.attach_alternative(html_body, "text/html")
    if metadata:
        message.metadata = metadata  # anymail's message attribute; other backends ignore it
    message.send()
    esp_message_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
    return esp_message_id if isinstance(esp_message_id, str) and esp_message_id else message_id
