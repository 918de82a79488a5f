"""A refund that fails after Stripe accepted it (the customer's card was closed): Stripe sends
charge.refund.updated, refund.updated and refund.failed with the refund and lowers the charge's
amount_refunded. The refund stops counting, the order's status goes back to what still counts, the order is
flagged, its history says why, and staff are mailed once; the customer is not mailed again. Through the real
emulator over HTTP, the real webhook endpoint and a real SMTP sink."""

import re
import urllib.request
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from payments.client import get_stripe_client
from payments.models import StripeEvent
from shop.models import Order, OrderEmail, OrderEvent, Refund
from shop.orders import IllegalTransition
from shop.refunds import is_refundable, refund_order
from shop.staff import mark_shipped
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db

STAFF = "refunds@hodhod.example"
FAILURE_EVENTS = ("charge.refund.updated", "refund.updated", "refund.failed")


@pytest.fixture(autouse=True)
def staff_alerts(settings):
    """Every test here has staff to alert (the paid order fixture, shop's conftest, needs no more)."""
    settings.STAFF_ALERT_EMAILS = [STAFF]
    settings.SITE_URL = "https://shop.hodhod.example"


def refund(order: Order, amount: str, manager, capture) -> Refund:
    """A staff refund through Stripe (recorded at once; the customer is emailed)."""
    with capture(execute=True):
        return refund_order(order=order, amount=Decimal(amount), user=manager)


def fail(stripe_api, made: Refund, reason: str = "expired_or_canceled_card") -> list[dict]:
    """Stripe fails the refund; the events it sends about it (not delivered yet)."""
    stripe_api.fail_refund(made.stripe_refund_id, reason, send_webhook=False)
    return [
        event
        for event in stripe_api.events
        if event["type"] in FAILURE_EVENTS and event["data"]["object"]["id"] == made.stripe_refund_id
    ]


def deliver(client, stripe_api, events: list[dict], capture) -> None:
    for event in events:
        with capture(execute=True):
            response = post_event(client, stripe_api, event)
        assert response.status_code == 200, response.content


def staff_mails(mailbox) -> list:
    return [message for message in mailbox.messages if message["To"] == STAFF]


def customer_mails(mailbox) -> list:
    return [message for message in mailbox.messages if message["To"] == "dana@example.com"]


def history(order: Order, kind: str) -> list[str]:
    return list(OrderEvent.objects.filter(order=order, kind=kind).values_list("message", flat=True))


def transitions(order: Order) -> list[tuple[str, str]]:
    return list(OrderEvent.objects.filter(order=order, kind="transition").values_list("from_status", "to_status"))


def test_refund_failed_a_full_refund_that_fails_puts_the_order_back_to_paid_flags_it_and_mails_staff_once(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    made = refund(paid, "59.00", manager, django_capture_on_commit_callbacks)
    mailbox.wait_for(1)  # the customer's refund email
    assert Order.objects.get(pk=paid.pk).status == Order.Status.REFUNDED

    events = fail(stripe_api, made)
    assert [event["type"] for event in events] == list(FAILURE_EVENTS)
    deliver(client, stripe_api, events, django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=paid.pk)
    assert order.status == Order.Status.PAID
    assert order.paid_at == paid.paid_at  # given back, not paid again
    assert order.amount_refunded == Decimal("0.00")
    assert Refund.objects.get(pk=made.pk).status == "failed"
    assert is_refundable(order)
    assert order.needs_attention
    assert f"Refund {made.stripe_refund_id} of 59.00 USD failed" in order.attention_reason
    assert "expired_or_canceled_card" in order.attention_reason
    assert "did not reach the customer" in order.attention_reason
    assert "refund them another way" in order.attention_reason
    [failed_line] = [line for line in history(order, "refund") if "failed" in line]
    assert failed_line.startswith(f"Refund {made.stripe_refund_id} of 59.00 USD failed")
    assert "expired_or_canceled_card" in failed_line
    assert transitions(order)[-1] == ("refunded", "paid")
    assert [e.state for e in StripeEvent.objects.filter(type__in=FAILURE_EVENTS)] == ["processed"] * 3

    [alert] = mailbox.wait_for(2)[1:]
    assert alert["To"] == STAFF
    assert alert["Subject"] == f"Refund failed: order {order.number}"
    text = alert.get_body(("plain",)).get_content()
    assert made.stripe_refund_id in text and "59.00 USD" in text and "expired_or_canceled_card" in text
    assert f"https://shop.hodhod.example/admin/shop/order/{order.pk}/change/" in text
    assert "refund them another way" in text
    html = alert.get_body(("html",)).get_content()
    assert f'href="https://shop.hodhod.example/admin/shop/order/{order.pk}/change/"' in html
    # The customer keeps the one refund email they had: nothing taken back, no new confirmation.
    assert len(customer_mails(mailbox)) == 1
    assert OrderEmail.objects.filter(order=order).count() == 2  # confirmation and refund
    # Staff see it on the order's admin page: the refund's row says failed, the flag says what to do.
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))
    page = client.get(f"/admin/shop/order/{order.pk}/change/").content.decode()
    refunds_inline = page[page.index('id="refunds-group"') :]
    assert made.stripe_refund_id in refunds_inline
    assert re.search(r'<td class="field-status">\s*<p>failed</p>', refunds_inline)
    assert "did not reach the customer" in page


def test_refund_failed_partial_refunds_go_back_as_the_sums_say(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    first = refund(paid, "20.00", manager, django_capture_on_commit_callbacks)
    second = refund(Order.objects.get(pk=paid.pk), "39.00", manager, django_capture_on_commit_callbacks)
    assert Order.objects.get(pk=paid.pk).status == Order.Status.REFUNDED

    deliver(client, stripe_api, fail(stripe_api, second, "lost_or_stolen_card"), django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=paid.pk)
    assert (order.status, order.amount_refunded) == (Order.Status.PARTIALLY_REFUNDED, Decimal("20.00"))
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, False)

    deliver(client, stripe_api, fail(stripe_api, first), django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=paid.pk)
    assert (order.status, order.amount_refunded) == (Order.Status.PAID, Decimal("0.00"))
    assert transitions(order)[-3:] == [
        ("partially_refunded", "refunded"),
        ("refunded", "partially_refunded"),
        ("partially_refunded", "paid"),
    ]
    assert order.attention_reason.count("did not reach the customer") == 2
    assert "lost_or_stolen_card" in order.attention_reason
    mailbox.wait_for(4)  # two refund emails to the customer, two alerts to staff
    assert sorted(m["Subject"] for m in staff_mails(mailbox)) == [f"Refund failed: order {order.number}"] * 2
    assert len(customer_mails(mailbox)) == 2


def test_refund_failed_of_one_partial_refund_leaves_the_other_counted(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    first = refund(paid, "20.00", manager, django_capture_on_commit_callbacks)
    refund(Order.objects.get(pk=paid.pk), "10.00", manager, django_capture_on_commit_callbacks)

    deliver(client, stripe_api, fail(stripe_api, first), django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=paid.pk)
    assert (order.status, order.amount_refunded) == (Order.Status.PARTIALLY_REFUNDED, Decimal("10.00"))
    assert transitions(order) == [("pending_payment", "paid"), ("paid", "partially_refunded")]
    assert order.needs_attention
    mailbox.wait_for(3)
    assert len(staff_mails(mailbox)) == 1


def test_refund_failed_told_three_times_twice_and_by_a_late_charge_refunded_changes_the_order_once(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    made = refund(paid, "59.00", manager, django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=paid.pk)
    charge_id = stripe_api.payment_intent(order.payment_intent_id)["latest_charge"]
    # The charge.refunded of the refund, as Stripe sent it before the failure, delivered late (a retry).
    stale = stripe_api.build_event("charge.refunded", stripe_api.charge(charge_id))
    events = fail(stripe_api, made)

    deliver(client, stripe_api, [*events, *reversed(events), stale, stale], django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=paid.pk)
    assert order.status == Order.Status.PAID
    assert list(Refund.objects.filter(order=order).values_list("stripe_refund_id", "status")) == [
        (made.stripe_refund_id, "failed")
    ]
    assert order.attention_reason.count("did not reach the customer") == 1
    assert len(history(order, "flagged")) == 1
    assert len([line for line in history(order, "refund") if "failed" in line]) == 1
    assert transitions(order)[-2:] == [("paid", "refunded"), ("refunded", "paid")]
    assert StripeEvent.objects.filter(type__in=FAILURE_EVENTS).count() == 3
    mailbox.wait_for(2)
    assert len(staff_mails(mailbox)) == 1
    assert len(customer_mails(mailbox)) == 1


def test_refund_failed_of_a_refund_we_never_heard_of_is_kept_failed_without_counting(
    client, stripe_api, paid, mailbox, django_capture_on_commit_callbacks
):
    # Made in the Stripe dashboard, its charge.refunded never reached us; then it failed.
    made = stripe_api.refund(paid.payment_intent_id, 1500, send_webhook=False)
    stripe_api.fail_refund(made["id"], "unknown", send_webhook=False)
    [event] = [e for e in stripe_api.events if e["type"] == "refund.failed"]

    deliver(client, stripe_api, [event], django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=paid.pk)
    row = Refund.objects.get(order=order)
    assert (row.stripe_refund_id, row.amount, row.status) == (made["id"], Decimal("15.00"), "failed")
    assert order.amount_refunded == Decimal("0.00")
    assert order.status == Order.Status.PAID
    assert transitions(order) == [("pending_payment", "paid")]
    assert order.needs_attention and "did not reach the customer" in order.attention_reason
    assert not OrderEmail.objects.filter(refund=row).exists()  # nothing to tell the customer
    [alert] = mailbox.wait_for(1)
    assert alert["To"] == STAFF and alert["Subject"] == f"Refund failed: order {order.number}"


def test_refund_failed_of_no_order_of_ours_is_ignored(
    client, stripe_api, foosfoot, mailbox, staff_alerts, django_capture_on_commit_callbacks
):
    # Paid at Stripe, but its checkout.session.completed never reached us: no order knows the payment intent.
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    made = stripe_api.refund(session["payment_intent"], None, send_webhook=False)
    stripe_api.fail_refund(made["id"], send_webhook=False)
    events = [e for e in stripe_api.events if e["type"] in FAILURE_EVENTS]

    deliver(client, stripe_api, events, django_capture_on_commit_callbacks)

    assert [e.state for e in StripeEvent.objects.filter(type__in=FAILURE_EVENTS)] == ["ignored"] * 3
    assert not Refund.objects.exists()
    order = Order.objects.get(pk=result.order.pk)
    assert (order.status, order.needs_attention) == (Order.Status.PENDING_PAYMENT, False)
    assert len(mailbox) == 0


def test_refund_failed_after_shipping_gives_back_shipped_and_staff_still_cannot_ship_twice(
    client, stripe_api, paid, manager, mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipped = mark_shipped(order=paid, carrier="UPS", tracking_number="1Z9")
    made = refund(shipped, "59.00", manager, django_capture_on_commit_callbacks)
    mailbox.wait_for(2)  # shipped, refunded

    deliver(client, stripe_api, fail(stripe_api, made), django_capture_on_commit_callbacks)

    order = Order.objects.get(pk=paid.pk)
    assert order.status == Order.Status.SHIPPED
    assert order.shipped_at == shipped.shipped_at
    assert transitions(order)[-1] == ("refunded", "shipped")
    mailbox.wait_for(3)
    assert len(customer_mails(mailbox)) == 2  # no second "on its way"
    with pytest.raises(IllegalTransition):
        mark_shipped(order=order, carrier="UPS", tracking_number="again")


def test_refund_failed_a_partly_refunded_order_still_cannot_be_shipped(
    stripe_api, paid, manager, django_capture_on_commit_callbacks
):
    # The status machine lets a failed refund give `shipped` back; staff ship only a paid order, as before.
    refund(paid, "5.00", manager, django_capture_on_commit_callbacks)
    with pytest.raises(IllegalTransition):
        mark_shipped(order=Order.objects.get(pk=paid.pk), carrier="UPS", tracking_number="1Z9")
    assert Order.objects.get(pk=paid.pk).status == Order.Status.PARTIALLY_REFUNDED


def test_refund_failed_in_the_emulator_over_http(stripe_api, paid, manager, django_capture_on_commit_callbacks):
    """The emulator's switch (`POST /_emulator/refunds/<id>/fail`) and the refund and charge as the API then
    reads them."""
    made = refund(paid, "20.00", manager, django_capture_on_commit_callbacks)
    request = urllib.request.Request(
        f"{stripe_api.base_url}/_emulator/refunds/{made.stripe_refund_id}/fail",
        data=b"failure_reason=lost_or_stolen_card",
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200

    client = get_stripe_client()
    read = client.v1.refunds.retrieve(made.stripe_refund_id)
    assert (read.status, read.failure_reason, read.amount) == ("failed", "lost_or_stolen_card", 2000)
    assert read.failure_balance_transaction.startswith("txn_")
    charge = client.v1.charges.retrieve(read.charge)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    [embedded] = stripe_api.charge(read.charge)["refunds"]["data"]
    assert (embedded["status"], embedded["failure_reason"]) == ("failed", "lost_or_stolen_card")
    kinds = [e["type"] for e in stripe_api.events if e["data"]["object"].get("id") == made.stripe_refund_id]
    assert kinds == list(FAILURE_EVENTS)
    updated = next(e for e in stripe_api.events if e["type"] == "charge.refund.updated")
    assert updated["data"]["previous_attributes"] == {
        "failure_balance_transaction": None,
        "failure_reason": None,
        "status": "succeeded",
    }


@pytest.mark.django_db(transaction=True)
def test_refund_failed_end_to_end_the_emulator_delivers_its_three_events_to_the_live_webhook(
    stripe_webhooks_to_live_server, foosfoot, manager, mailbox, staff_alerts
):
    emu = stripe_webhooks_to_live_server
    result = checkout(foosfoot)
    emu.complete_session(result.session_id, "paid")  # checkout.session.completed, delivered
    emu.wait_for_deliveries()
    made = refund_order(order=Order.objects.get(pk=result.order.pk), amount=None, user=manager)
    emu.wait_for_deliveries()  # its charge.refunded, already recorded: nothing new
    assert Order.objects.get(pk=result.order.pk).status == Order.Status.REFUNDED

    emu.fail_refund(made.stripe_refund_id)
    deliveries = emu.wait_for_deliveries()

    assert [status for _, kind, status in deliveries if kind in FAILURE_EVENTS] == [200, 200, 200]
    order = Order.objects.get(pk=result.order.pk)
    assert (order.status, order.needs_attention) == (Order.Status.PAID, True)
    assert Refund.objects.get(pk=made.pk).status == "failed"
    mailbox.wait_for(3)  # confirmation, refund, and the staff alert
    assert [m["Subject"] for m in staff_mails(mailbox)] == [f"Refund failed: order {order.number}"]
