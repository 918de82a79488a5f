"""Issue 11, item 4: every refund is told to the customer, once: a staff refund and one made in the
Stripe dashboard alike (each new `Refund` row), through the recorded `OrderEmail` keyed by the refund,
so neither a redelivered webhook, a Celery retry nor reconciliation's resend sends it twice."""

import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone
from kombu.exceptions import OperationalError

from payments.events import process_stripe_event
from shop.emails import record_order_email, send_order_email_task
from shop.models import Order, OrderEmail, Refund
from shop.reconciliation import reconcile_pending_orders
from shop.refunds import refund_order
from shop.staff import mark_shipped

pytestmark = pytest.mark.django_db


def refund_emails(mailbox) -> list:
    return [message for message in mailbox.messages if "refunded" in message["Subject"]]


def text_of(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


def dashboard_refund(stripe_api, order: Order, minor: int | None, capture) -> None:
    """A refund made in Stripe's dashboard, told to us by charge.refunded."""
    stripe_api.refund(order.payment_intent_id, minor, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    with capture(execute=True):
        process_stripe_event(event=stripe_api.build_event("charge.refunded", charge))
    return charge


def test_issue11_item4_a_staff_refund_emails_the_amount_what_is_left_and_what_happens_next(
    paid, manager, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order=paid, amount=Decimal("20.00"), user=manager, reason="requested_by_customer")
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == f"Your Hod & Hod order {paid.number}: 20.00 USD refunded"
    assert message["To"] == "dana@example.com"
    text = text_of(message)
    assert "Refunded now: 20.00 USD" in text
    assert "Refunded in total: 20.00 USD" in text
    assert "You have paid for this order: 39.00 USD" in text
    assert "5–10 business days" in text
    assert "The rest of your order stays active, and we ship it as planned." in text
    assert f"/orders/{paid.token}/" in text
    html = message.get_body(("html",)).get_content()
    assert "20.00 USD" in html and "39.00 USD" in html and "5–10 business days" in html
    email = OrderEmail.objects.get(order=paid, kind="refund")
    assert email.refund == refund and email.sent_at is not None


def test_issue11_item4_a_dashboard_refund_is_emailed_too_and_says_the_order_is_closed(
    stripe_api, paid, mailbox, django_capture_on_commit_callbacks
):
    dashboard_refund(stripe_api, paid, None, django_capture_on_commit_callbacks)
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == f"Your Hod & Hod order {paid.number}: 59.00 USD refunded"
    text = text_of(message)
    assert "You have paid for this order: 0.00 USD" in text
    assert "This refunds the whole order, which is now closed: nothing will be shipped." in text
    assert Order.objects.get(pk=paid.pk).status == Order.Status.REFUNDED


def test_issue11_item4_a_partial_refund_of_a_shipped_order_leaves_the_rest_as_it_is(
    stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mark_shipped(order=paid, carrier="UPS", tracking_number="1Z9", user=manager)
    mailbox.wait_for(1)
    mailbox.clear()
    dashboard_refund(stripe_api, paid, 900, django_capture_on_commit_callbacks)
    [message] = mailbox.wait_for(1)
    assert "The rest of your order stays as it is." in text_of(message)
    assert "You have paid for this order: 50.00 USD" in text_of(message)


def test_issue11_item4_a_refund_is_emailed_once_however_often_it_is_seen(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order=paid, amount=Decimal("20.00"), user=manager)
    mailbox.wait_for(1)
    # Stripe's charge.refunded for the same refund, twice; a Celery retry arriving late; reconciliation.
    charge = stripe_api.charge(stripe_api.payment_intent(paid.payment_intent_id)["latest_charge"])
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            process_stripe_event(event=stripe_api.build_event("charge.refunded", charge))
    email = OrderEmail.objects.get(refund=refund)
    assert send_order_email_task(paid.pk, "refund", email.pk) is True
    assert reconcile_pending_orders(now=timezone.now() + timedelta(minutes=10))["emails_sent"] == 0
    # Recording it again (a second sighting of the same refund) gives the email already recorded.
    assert record_order_email(order_id=paid.pk, kind="refund", refund=refund) == email.pk
    assert len(refund_emails(mailbox)) == 1
    assert OrderEmail.objects.filter(order=paid, kind="refund").count() == 1
    assert Refund.objects.filter(order=paid).count() == 1


def test_issue11_item4_a_refund_email_lost_with_mail_and_broker_down_is_sent_later_once_as_of_its_refund(
    stripe_api, paid, manager, mailbox, settings, monkeypatch, django_capture_on_commit_callbacks
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = sock.getsockname()[1]  # nothing listens there once closed

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_order_email_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        first = refund_order(order=paid, amount=Decimal("20.00"), user=manager)
    unsent = OrderEmail.objects.get(refund=first)
    assert (unsent.sent_at, unsent.attempts) == (None, 1)

    settings.EMAIL_PORT = mailbox.port  # mail works again; a second refund is sent at once
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order=paid, amount=Decimal("9.00"), user=manager)
    assert reconcile_pending_orders(now=timezone.now() + timedelta(minutes=10))["emails_sent"] == 1
    assert reconcile_pending_orders(now=timezone.now() + timedelta(minutes=20))["emails_sent"] == 0
    messages = {message["Subject"]: text_of(message) for message in mailbox.wait_for(2)}
    assert len(messages) == 2
    # The late email tells the story as of its own refund, not of the later one.
    late = messages[f"Your Hod & Hod order {paid.number}: 20.00 USD refunded"]
    assert "You have paid for this order: 39.00 USD" in late
    assert (
        "You have paid for this order: 30.00 USD" in messages[f"Your Hod & Hod order {paid.number}: 9.00 USD refunded"]
    )


def test_issue11_item4_a_refund_email_must_name_its_refund(paid):
    with pytest.raises(IntegrityError):
        OrderEmail.objects.create(order=paid, kind="refund")


def test_issue11_item4_the_order_page_shows_each_refund_and_the_total(
    client, stripe_api, paid, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        refund_order(order=paid, amount=Decimal("20.00"), user=manager)
    dashboard_refund(stripe_api, paid, 500, django_capture_on_commit_callbacks)
    html = client.get(paid.get_absolute_url()).content.decode()
    table = html[html.index('id="refunds"') : html.index("</table>", html.index('id="refunds"'))]
    assert table.count("<tr>") == 4  # head, two refunds, total
    today = timezone.localdate().strftime("%-d %B %Y")
    assert table.count(today) == 2
    assert "20.00&nbsp;USD" in table and "5.00&nbsp;USD" in table
    assert 'id="refunded-total"><span class="amount">25.00&nbsp;USD' in table
    assert "5–10 business days" in html


def test_issue11_item4_an_order_without_refunds_shows_no_refund_table(client, paid):
    assert 'id="refunds"' not in client.get(paid.get_absolute_url()).content.decode()
