"""Issue 10, item 8: an order email that could neither be sent nor queued is kept in the database,
and the periodic reconciliation sends it once mail works again, never twice."""

import socket
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from kombu.exceptions import OperationalError

from shop.emails import send_order_email_task
from shop.models import Order, OrderEmail
from shop.reconciliation import reconcile_pending_orders
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def mail_and_broker_down(mailbox, settings, monkeypatch):
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 5

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_order_email_task, "delay", broker_down)
    return mailbox


def pay_through_the_webhook(client, emu, order_session_id, capture) -> None:
    session = emu.complete_session(order_session_id, "paid", send_webhook=False)
    with capture(execute=True):
        assert post_event(client, emu, emu.build_event("checkout.session.completed", session)).status_code == 200


def test_issue10_item8_a_confirmation_lost_with_broker_and_mail_down_is_sent_later_once(
    client, stripe_api, foosfoot, mail_and_broker_down, settings, django_capture_on_commit_callbacks
):
    mailbox = mail_and_broker_down
    result = checkout(foosfoot)
    pay_through_the_webhook(client, stripe_api, result.session_id, django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert len(mailbox) == 0
    unsent = OrderEmail.objects.get(order=order)
    assert (unsent.kind, unsent.sent_at, unsent.attempts) == ("confirmation", None, 1)
    assert "Connection" in unsent.last_error or "refused" in unsent.last_error.lower()

    # Still down at the next pass: kept, tried again.
    later = timezone.now() + timedelta(minutes=6)
    reconcile_pending_orders(now=later)
    assert OrderEmail.objects.get(pk=unsent.pk).attempts == 2
    assert len(mailbox) == 0

    settings.EMAIL_PORT = mailbox.port  # the mail server is back
    counts = reconcile_pending_orders(now=later + timedelta(minutes=5))
    assert counts["emails_sent"] == 1
    messages = mailbox.wait_for(1)
    assert order.number in messages[0]["Subject"]
    assert OrderEmail.objects.get(pk=unsent.pk).sent_at is not None

    # Never twice: another pass, and the Celery retry queued earlier arriving late, send nothing more.
    assert reconcile_pending_orders(now=later + timedelta(minutes=10))["emails_sent"] == 0
    send_order_email_task(order.pk, "confirmation")
    assert len(mailbox) == 1
    assert OrderEmail.objects.filter(order=order).count() == 1


def test_issue10_item8_a_sent_email_is_recorded_as_sent(
    client, stripe_api, foosfoot, mailbox, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    pay_through_the_webhook(client, stripe_api, result.session_id, django_capture_on_commit_callbacks)
    mailbox.wait_for(1)
    sent = OrderEmail.objects.get(order=result.order)
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert reconcile_pending_orders(now=timezone.now() + timedelta(minutes=10))["emails_sent"] == 0
    assert len(mailbox) == 1


def test_issue10_item8_the_admin_shows_unsent_order_emails(
    client, stripe_api, foosfoot, mail_and_broker_down, django_capture_on_commit_callbacks
):
    unsent = checkout(foosfoot)
    pay_through_the_webhook(client, stripe_api, unsent.session_id, django_capture_on_commit_callbacks)
    other = checkout(foosfoot, email="someone.else@example.org").order
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))

    listing = client.get("/admin/shop/order/", {"unsent_email": "yes"}).content.decode()
    assert unsent.order.number in listing
    assert other.number not in listing

    page = client.get(f"/admin/shop/order/{unsent.order.pk}/change/").content.decode()
    assert "Order emails" in page
    assert "confirmation" in page
    assert "not sent" in page
