"""Issue 12: checkout recovery. The promotions box on Stripe's page goes to the consent log; an expired session
whose customer ticked it owes one reminder with Stripe's recovery link, sent after CHECKOUT_RECOVERY_DELAY
by the periodic pass, never twice, never to a withdrawn or suppressed address, never after another paid
order; a session Stripe recovered pays its order, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from core.consent import has_consent, record_consent
from core.models import Consent
from core.suppression import suppress
from payments.events import process_stripe_event
from shop.models import CheckoutRecovery, Order, OrderEvent, Product
from shop.reconciliation import reconcile_pending_orders
from shop.recovery import send_due_recovery_emails
from tests.factories import ProductFactory
from tests.shop.conftest import checkout
from tests.stripe_emulator.support import fetch, submit

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=61)


@pytest.fixture
def foosfoot(db):
    return ProductFactory(slug="foosfoot", name="FoosFoot", sku="FF-1", price=Decimal("59.00"), stock=10)


@pytest.fixture
def apply_event(stripe_api, django_capture_on_commit_callbacks):
    def apply(event_type: str, session: dict) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            process_stripe_event(event=stripe_api.build_event(event_type, session))

    return apply


@pytest.fixture
def abandoned(stripe_api, foosfoot, apply_event):
    """A checkout whose customer ticked the promotions box, left the page, and let the session expire."""

    def abandon(email="dana@example.com", ticked=True, quantity=2) -> Order:
        result = checkout(foosfoot, quantity=quantity, email=email)
        _, _, page = fetch(result.checkout_url)
        submit(result.checkout_url, page, "cancel", consent_promotions="1" if ticked else None)
        apply_event("checkout.session.expired", stripe_api.expire_session(result.session_id, send_webhook=False))
        return Order.objects.get(pk=result.order.pk)

    return abandon


def recovery_mail(messages) -> list:
    messages = messages.messages if hasattr(messages, "messages") else messages
    return [m for m in messages if "cart is still waiting" in m["Subject"]]


def test_an_abandoned_checkout_gets_one_reminder_and_the_recovered_session_pays_its_order_once(
    client, stripe_api, foosfoot, abandoned, apply_event, mailbox
):
    order = abandoned()
    assert order.status == Order.Status.CANCELLED
    assert Product.objects.get(pk=foosfoot.pk).stock == 10  # released at expiry
    assert has_consent("dana@example.com", "recovery") and has_consent("dana@example.com", "news")
    recovery = CheckoutRecovery.objects.get()
    assert recovery.recovery_url == f"{stripe_api.base_url}/recover/{order.checkout_session_id}"
    # The expiry seen again (reconciliation, a redelivery) owes nothing more.
    apply_event("checkout.session.expired", stripe_api.session(order.checkout_session_id))
    assert CheckoutRecovery.objects.count() == 1 and Consent.objects.count() == 2

    assert send_due_recovery_emails()["sent"] == 0  # CHECKOUT_RECOVERY_DELAY (60 minutes) has not passed
    assert send_due_recovery_emails(now=timezone.now() + LATER)["sent"] == 1
    assert send_due_recovery_emails(now=timezone.now() + LATER * 2)["sent"] == 0
    [reminder] = recovery_mail(mailbox.wait_for(1))
    text = reminder.get_body(("plain",)).get_content()
    assert recovery.recovery_url in text and "2 × FoosFoot — 118.00 USD" in text
    assert reminder["To"] == "dana@example.com"
    # The way out of reminders and news: the account's preferences (both parts).
    assert f"{settings.SITE_URL}/account/preferences/" in text
    assert f'href="{settings.SITE_URL}/account/preferences/"' in reminder.get_body(("html",)).get_content()

    status, headers, _ = fetch(recovery.recovery_url)  # the customer follows Stripe's link
    assert status == 303
    recovered_id = headers["Location"].rsplit("/", 1)[1]
    assert stripe_api.session(recovered_id)["recovered_from"] == order.checkout_session_id
    paid = stripe_api.complete_session(recovered_id, "paid", send_webhook=False)
    apply_event("checkout.session.completed", paid)
    apply_event("checkout.session.completed", paid)

    order.refresh_from_db()
    assert (order.status, order.recovery_session_id, order.total) == (
        Order.Status.PAID,
        recovered_id,
        Decimal("118.00"),
    )
    assert Product.objects.get(pk=foosfoot.pk).stock == 8  # reserved again, once
    assert order.events.filter(to_status="paid").count() == 1 and order.events.filter(kind="recovered").count() == 1
    assert "through the recovered checkout" in order.events.get(to_status="paid").message
    assert client.get(f"/checkout/success/?session_id={recovered_id}").status_code == 200
    assert CheckoutRecovery.objects.get().status == CheckoutRecovery.Status.SENT


def test_no_reminder_to_an_address_that_withdrew_consent(abandoned, mailbox):
    abandoned()
    record_consent(email="Dana@example.com", topic="recovery", granted=False, source="account")

    assert send_due_recovery_emails(now=timezone.now() + LATER)["skipped"] == 1
    assert recovery_mail(mailbox) == []
    assert "withdrew consent" in CheckoutRecovery.objects.get().skipped_reason


def test_no_reminder_to_a_suppressed_address(abandoned, mailbox):
    order = abandoned()
    suppress(email="dana@example.com", reason="complaint")

    assert send_due_recovery_emails(now=timezone.now() + LATER)["skipped"] == 1
    assert recovery_mail(mailbox) == []
    assert CheckoutRecovery.objects.get().skipped_reason == "Suppressed address."
    assert OrderEvent.objects.filter(order=order, kind="recovery_email").get().message.endswith("suppressed.")


def test_no_reminder_after_the_customer_paid_another_order(stripe_api, foosfoot, abandoned, apply_event, mailbox):
    abandoned()
    again = checkout(foosfoot, email="DANA@example.com")
    apply_event("checkout.session.completed", stripe_api.complete_session(again.session_id, "paid", send_webhook=False))
    mailbox.clear()

    assert send_due_recovery_emails(now=timezone.now() + LATER)["skipped"] == 1
    assert recovery_mail(mailbox) == []
    assert "paid an order since" in CheckoutRecovery.objects.get().skipped_reason


def test_no_reminder_without_the_box_ticked_and_the_answer_is_logged(abandoned):
    record_consent(email="dana@example.com", topic="recovery", granted=True, source="account")
    abandoned(ticked=False)
    assert not CheckoutRecovery.objects.exists()
    assert not has_consent("dana@example.com", "recovery")  # the checkout's answer is the latest


def test_a_delay_of_zero_sends_at_the_next_periodic_run(settings, abandoned, mailbox):
    settings.CHECKOUT_RECOVERY_DELAY = 0
    abandoned()
    assert reconcile_pending_orders()["recoveries_sent"] == 1
    assert len(recovery_mail(mailbox.wait_for(1))) == 1


def test_a_recovered_session_for_units_sold_meanwhile_is_flagged(stripe_api, foosfoot, abandoned, apply_event):
    order = abandoned(quantity=10)
    Product.objects.filter(pk=foosfoot.pk).update(stock=3)
    recovery = CheckoutRecovery.objects.get()
    recovered_id = fetch(recovery.recovery_url)[1]["Location"].rsplit("/", 1)[1]

    apply_event("checkout.session.completed", stripe_api.complete_session(recovered_id, "paid", send_webhook=False))

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.paid_at is not None
    assert order.needs_attention and "refund it" in order.attention_reason
    assert order.recovery_session_id == recovered_id
    assert Product.objects.get(pk=foosfoot.pk).stock == 3
