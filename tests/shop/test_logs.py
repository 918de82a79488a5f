"""Log lines of the shop never carry a customer's full email address or an order's access token."""

import logging
import smtplib

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from payments.events import process_stripe_event
from shop.emails import deliver_order_email
from shop.orders import CheckoutError
from shop.signals import order_paid
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
EMAIL = "dana.customer@example.com"


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipient and, like real ones, names it in the error."""

    def send_messages(self, email_messages):
        recipients = {to: (550, b"mailbox unavailable") for message in email_messages for to in message.to}
        raise smtplib.SMTPRecipientsRefused(recipients)


def logged_text(caplog) -> str:
    """What the shop's own loggers wrote (Django's send_robust logs a receiver's exception itself)."""
    return "\n".join(
        f"{record.getMessage()}\n{record.exc_text or ''}" for record in caplog.records if record.name.startswith("shop")
    )


def test_a_refused_order_email_is_logged_without_the_address(caplog, settings, stripe_api, foosfoot):
    order = checkout(foosfoot, email=EMAIL).order
    settings.EMAIL_BACKEND = "tests.shop.test_logs.RefusingBackend"
    with caplog.at_level(logging.INFO):
        deliver_order_email(order_id=order.pk, kind="confirmation")
    text = logged_text(caplog)
    assert "SMTPRecipientsRefused" in text
    assert "d***@example.com" in text
    assert EMAIL not in text


def test_a_failing_paid_receiver_is_logged_without_the_address(
    caplog, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    def refuses(sender, order, **kwargs):
        raise ValueError(f"cannot enroll {order.email}")

    order_paid.connect(refuses, dispatch_uid="test-refuses")
    try:
        result = checkout(foosfoot, email=EMAIL)
        session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
        with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
            process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    finally:
        order_paid.disconnect(dispatch_uid="test-refuses")
    text = logged_text(caplog)
    assert "cannot enroll d***@example.com" in text
    assert EMAIL not in text


def test_a_stripe_error_echoing_the_email_and_token_is_masked(caplog, stripe_api, foosfoot):
    stripe_api.fail_next(
        "POST",
        "/v1/checkout/sessions",
        status=400,
        message=f"Invalid customer_email: {EMAIL}; cancel_url https://x.test/checkout/cancel/?order=abcdefSECRETTOKEN",
    )
    with caplog.at_level(logging.INFO), pytest.raises(CheckoutError):
        checkout(foosfoot, email=EMAIL)
    text = logged_text(caplog)
    assert "d***@example.com" in text
    assert "order=abcdef…" in text
    assert EMAIL not in text
    assert "SECRETTOKEN" not in text
