"""POST /stripe/webhook/: signatures, storing once, idempotent and order-independent processing."""

import json
import random
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail

from payments.models import StripeEvent
from shop.models import Order, OrderEvent, Product, Refund
from shop.refunds import refund_order
from shop.signals import order_paid, order_refunded
from shop.staff import mark_shipped
from tests.shop.conftest import checkout, post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def announcements():
    seen = {"paid": [], "refunded": []}

    def on_paid(sender, order, **kwargs):
        seen["paid"].append(order.pk)

    def on_refunded(sender, order, **kwargs):
        seen["refunded"].append(order.pk)

    order_paid.connect(on_paid, dispatch_uid="test-paid")
    order_refunded.connect(on_refunded, dispatch_uid="test-refunded")
    yield seen
    order_paid.disconnect(dispatch_uid="test-paid")
    order_refunded.disconnect(dispatch_uid="test-refunded")


def deliver(client, emu, event, capture, **kwargs):
    with capture(execute=True):
        return post_event(client, emu, event, **kwargs)


def completed_event(emu, session_id, outcome="paid"):
    session = emu.complete_session(session_id, outcome, send_webhook=False)
    return emu.build_event("checkout.session.completed", session)


def transitions(order):
    return list(OrderEvent.objects.filter(order=order, kind="transition").values_list("from_status", "to_status"))


def test_paid_event_marks_paid_stores_customer_and_sends_one_email(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot, quantity=2)
    event = completed_event(stripe_api, result.session_id)

    response = deliver(client, stripe_api, event, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.payment_intent_id.startswith("pi_")
    assert order.customer_name
    assert order.shipping_address["country"]
    assert transitions(order) == [("pending_payment", "paid")]
    assert OrderEvent.objects.get(order=order, kind="transition").actor == f"stripe:{event['id']}"
    assert StripeEvent.objects.get().state == StripeEvent.State.PROCESSED
    assert announcements["paid"] == [order.pk]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.com"]
    assert order.number in message.subject
    assert f"/orders/{order.token}/" in message.body
    assert f"/orders/{order.token}/" in message.alternatives[0][0]
    foosfoot.refresh_from_db()
    assert foosfoot.stock == 8  # taken once, at checkout


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_duplicates_and_shuffled_refunds_end_as_one_in_order_delivery(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks, seed
):
    result = checkout(foosfoot)
    completed = completed_event(stripe_api, result.session_id)
    pi = stripe_api.session(result.session_id)["payment_intent"]
    stripe_api.refund(pi, 2000, send_webhook=False)
    charge_id = stripe_api.payment_intent(pi)["latest_charge"]
    partial = stripe_api.build_event("charge.refunded", stripe_api.charge(charge_id))
    stripe_api.refund(pi, None, send_webhook=False)
    full = stripe_api.build_event("charge.refunded", stripe_api.charge(charge_id))

    deliveries = [completed] * 5 + [partial, partial, full]
    random.Random(seed).shuffle(deliveries)
    for event in deliveries:
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.REFUNDED
    assert sorted(Refund.objects.filter(order=order).values_list("amount", flat=True)) == [
        Decimal("20.00"),
        Decimal("39.00"),
    ]
    assert order.amount_refunded == Decimal("59.00")
    steps = transitions(order)
    assert steps.count(("pending_payment", "paid")) == 1
    assert [to for _, to in steps].count("refunded") == 1
    assert [to for _, to in steps].count("partially_refunded") <= 1
    # One confirmation, and one refund email per refund however often and in whatever order Stripe told us.
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 3
    assert [s for s in subjects if "confirmed" in s] == [f"Your Hod & Hod order {order.number} is confirmed"]
    assert sorted(s for s in subjects if "refunded" in s) == [
        f"Your Hod & Hod order {order.number}: 20.00 USD refunded",
        f"Your Hod & Hod order {order.number}: 39.00 USD refunded",
    ]
    assert announcements == {"paid": [order.pk], "refunded": [order.pk]}
    assert StripeEvent.objects.count() == 3
    assert set(StripeEvent.objects.values_list("state", flat=True)) == {StripeEvent.State.PROCESSED}
    foosfoot.refresh_from_db()
    assert foosfoot.stock == 9


def test_replayed_event_is_answered_200_and_changes_nothing(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    event = completed_event(stripe_api, result.session_id)
    deliver(client, stripe_api, event, django_capture_on_commit_callbacks)
    before = Order.objects.get(pk=result.order.pk).updated_at
    response = deliver(client, stripe_api, event, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert response.json()["outcome"] == "duplicate"
    assert Order.objects.get(pk=result.order.pk).updated_at == before
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "forgery",
    [
        {"secret": "whsec_wrong"},
        {"timestamp": int(time.time()) - 600},  # older than the 300 s tolerance
    ],
)
def test_wrong_secret_or_stale_signature_is_refused_and_nothing_stored(client, stripe_api, foosfoot, forgery):
    result = checkout(foosfoot)
    event = completed_event(stripe_api, result.session_id)
    response = post_event(client, stripe_api, event, **forgery)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not StripeEvent.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_forged_unsigned_and_malformed_bodies_are_refused(client, stripe_api, foosfoot):
    result = checkout(foosfoot)
    event = completed_event(stripe_api, result.session_id)
    payload = json.dumps(event).encode()
    good = stripe_api.sign(payload)
    tampered = payload.replace(b"dana@example.com", b"evil@example.com")
    cases = [
        (tampered, good),  # forged: body changed after signing
        (payload, ""),  # unsigned
        (payload, "t=1,v1=deadbeef"),
        (payload, "garbage"),
        (b"not json at all", stripe_api.sign(b"not json at all")),
        (b"[1, 2]", stripe_api.sign(b"[1, 2]")),
        (b'{"id": 5}', stripe_api.sign(b'{"id": 5}')),
    ]
    for body, signature in cases:
        headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
        response = client.post("/stripe/webhook/", data=body, content_type="application/json", **headers)
        assert response.status_code == 400, (body, signature)
        assert response.json()["code"]
    assert client.get("/stripe/webhook/").status_code == 405
    assert not StripeEvent.objects.exists()
    assert Order.objects.get().status == Order.Status.PENDING_PAYMENT


def test_unknown_event_types_are_acknowledged_and_ignored(client, stripe_api):
    event = stripe_api.build_event("customer.created", {"id": "cus_123", "object": "customer"})
    response = post_event(client, stripe_api, event)
    assert response.status_code == 200
    assert StripeEvent.objects.get().state == StripeEvent.State.IGNORED


def test_amount_mismatch_is_flagged_and_not_paid(client, stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    session["amount_total"] = 100  # $1.00 for a $59.00 order
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )
    session["amount_total"] = 5900
    session["currency"] = "eur"
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.needs_attention
    assert "1.00 USD" in order.attention_reason
    assert "59.00 EUR" in order.attention_reason
    assert OrderEvent.objects.filter(order=order, kind="flagged").count() == 2
    assert mail.outbox == []


def test_expired_session_cancels_and_releases_stock(client, stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot, quantity=3)
    session = stripe_api.expire_session(result.session_id, send_webhook=False)
    event = stripe_api.build_event("checkout.session.expired", session)
    for _ in range(2):
        deliver(client, stripe_api, event, django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.CANCELLED
    assert order.stock_released_at is not None
    assert Product.objects.get(pk=foosfoot.pk).stock == 10


def test_delayed_payment_succeeds_later(client, stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    first = completed_event(stripe_api, result.session_id, outcome="delayed")
    deliver(client, stripe_api, first, django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.filter(kind="awaiting_payment").exists()
    session = stripe_api.complete_session(result.session_id, "delayed_succeeded", send_webhook=False)
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.async_payment_succeeded", session),
        django_capture_on_commit_callbacks,
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert len(mail.outbox) == 1


def test_delayed_payment_failure_cancels_and_releases_stock(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot, quantity=2)
    session = stripe_api.complete_session(result.session_id, "delayed_failed", send_webhook=False)
    failed = stripe_api.build_event("checkout.session.async_payment_failed", session)
    deliver(client, stripe_api, failed, django_capture_on_commit_callbacks)
    # The earlier `completed` (unpaid) arriving late changes nothing.
    session["payment_status"] = "unpaid"
    deliver(
        client,
        stripe_api,
        stripe_api.build_event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.CANCELLED
    assert Product.objects.get(pk=foosfoot.pk).stock == 10
    assert mail.outbox == []


def test_refund_made_in_the_dashboard_is_recorded(client, stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    deliver(client, stripe_api, completed_event(stripe_api, result.session_id), django_capture_on_commit_callbacks)
    pi = Order.objects.get(pk=result.order.pk).payment_intent_id
    stripe_api.refund(pi, 1500, send_webhook=False)
    charge = stripe_api.charge(stripe_api.payment_intent(pi)["latest_charge"])
    deliver(client, stripe_api, stripe_api.build_event("charge.refunded", charge), django_capture_on_commit_callbacks)
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status, refund.stripe_refund_id[:3]) == (Decimal("15.00"), "succeeded", "re_")


def test_a_processing_failure_leaves_the_event_retryable(client, stripe_api, foosfoot):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    session["payment_intent"] = "pi_" + "x" * 300  # too long for the column: applying it fails
    event = stripe_api.build_event("checkout.session.completed", session)
    for attempt in (1, 2):
        response = post_event(client, stripe_api, event)
        assert response.status_code == 500  # Stripe delivers it again later
        stored = StripeEvent.objects.get()
        assert (stored.state, stored.attempts) == (StripeEvent.State.FAILED, attempt)
        assert "DataError" in stored.last_error
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PENDING_PAYMENT  # no effect without its event, no event without effect
    assert order.events.count() == 1
    assert mail.outbox == []


def test_delayed_payment_events_in_reverse_order_end_the_same(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    completed_unpaid = completed_event(stripe_api, result.session_id, outcome="delayed")
    session = stripe_api.complete_session(result.session_id, "delayed_succeeded", send_webhook=False)
    succeeded = stripe_api.build_event("checkout.session.async_payment_succeeded", session)
    for event in (succeeded, completed_unpaid, succeeded, completed_unpaid):
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert transitions(order) == [("pending_payment", "paid")]
    assert announcements["paid"] == [order.pk]
    assert len(mail.outbox) == 1


def expired_twin(emu, session: dict) -> dict:
    """A `checkout.session.expired` for the same session, as a late or contradictory delivery."""
    return emu.build_event("checkout.session.expired", {**session, "status": "expired", "payment_status": "unpaid"})


def test_expired_arriving_after_completed_does_not_cancel_a_paid_order(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot, quantity=2)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    for event in (stripe_api.build_event("checkout.session.completed", session), expired_twin(stripe_api, session)):
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert order.stock_released_at is None
    assert transitions(order) == [("pending_payment", "paid")]
    assert Product.objects.get(pk=foosfoot.pk).stock == 8
    assert announcements["paid"] == [order.pk]


def test_completed_after_expiry_cancelled_the_order_pays_it_when_the_units_are_still_there(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot, quantity=2)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    deliver(client, stripe_api, expired_twin(stripe_api, session), django_capture_on_commit_callbacks)
    assert Product.objects.get(pk=foosfoot.pk).stock == 10  # released by the cancellation
    completed = stripe_api.build_event("checkout.session.completed", session)
    for _ in range(2):
        assert deliver(client, stripe_api, completed, django_capture_on_commit_callbacks).status_code == 200

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    assert order.stock_released_at is None
    assert not order.needs_attention
    assert transitions(order) == [("pending_payment", "cancelled"), ("cancelled", "paid")]
    assert Product.objects.get(pk=foosfoot.pk).stock == 8  # taken again, once
    assert announcements["paid"] == [order.pk]
    assert len(mail.outbox) == 1


def test_completed_after_expiry_cancelled_the_order_flags_a_refund_when_sold_out(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot, quantity=2)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    deliver(client, stripe_api, expired_twin(stripe_api, session), django_capture_on_commit_callbacks)
    Product.objects.filter(pk=foosfoot.pk).update(stock=1)  # sold to someone else meanwhile
    completed = stripe_api.build_event("checkout.session.completed", session)
    for _ in range(2):
        assert deliver(client, stripe_api, completed, django_capture_on_commit_callbacks).status_code == 200

    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.CANCELLED
    assert order.needs_attention
    assert "refund it" in order.attention_reason
    assert order.paid_at is not None
    assert OrderEvent.objects.filter(order=order, kind="flagged").count() == 1
    assert Product.objects.get(pk=foosfoot.pk).stock == 1  # nothing taken
    assert announcements["paid"] == []
    assert mail.outbox == []

    # Staff can refund it through the shop, not only in the Stripe dashboard.
    manager = User.objects.create_user("manager", password="pw-for-tests-only", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="refund_order"))
    manager = User.objects.get(pk=manager.pk)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order=order, user=manager)
    assert refund.amount == Decimal("118.00")
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 11800
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.amount_refunded == Decimal("118.00")


def without_refund_list(charge: dict) -> dict:
    """The charge as the pinned API version sends it: no embedded `refunds` list, only `amount_refunded`."""
    return {key: value for key, value in charge.items() if key != "refunds"}


@pytest.mark.parametrize("embedded_first", [True, False])
def test_refunds_are_recorded_by_their_stripe_id_whether_or_not_the_charge_lists_them(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks, embedded_first
):
    result = checkout(foosfoot)
    deliver(client, stripe_api, completed_event(stripe_api, result.session_id), django_capture_on_commit_callbacks)
    pi = Order.objects.get(pk=result.order.pk).payment_intent_id
    first = stripe_api.refund(pi, 1000, send_webhook=False)
    charge_id = stripe_api.payment_intent(pi)["latest_charge"]
    after_first = stripe_api.charge(charge_id)
    second = stripe_api.refund(pi, 500, send_webhook=False)
    after_second = stripe_api.charge(charge_id)
    # One API version embeds the list, another does not; both, in either order, and again: no double count.
    events = [
        stripe_api.build_event("charge.refunded", after_first),
        stripe_api.build_event("charge.refunded", without_refund_list(after_second)),
    ]
    if not embedded_first:
        events.reverse()
    for event in events + events:
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200

    order = Order.objects.get(pk=result.order.pk)
    assert dict(Refund.objects.filter(order=order).values_list("stripe_refund_id", "amount")) == {
        first["id"]: Decimal("10.00"),
        second["id"]: Decimal("5.00"),
    }
    assert order.amount_refunded == Decimal("15.00")
    assert order.status == Order.Status.PARTIALLY_REFUNDED


def test_a_staff_refund_and_its_own_charge_refunded_event_count_once(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    deliver(client, stripe_api, completed_event(stripe_api, result.session_id), django_capture_on_commit_callbacks)
    manager = User.objects.create_user("manager", password="pw-for-tests-only", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="refund_order"))
    manager = User.objects.get(pk=manager.pk)
    order = Order.objects.get(pk=result.order.pk)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order=order, amount=Decimal("20.00"), user=manager)
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    for payload in (charge, without_refund_list(charge)):
        event = stripe_api.build_event("charge.refunded", payload)
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200

    order.refresh_from_db()
    assert list(Refund.objects.filter(order=order).values_list("stripe_refund_id", flat=True)) == [
        refund.stripe_refund_id
    ]
    assert order.amount_refunded == Decimal("20.00")
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert transitions(order) == [("pending_payment", "paid"), ("paid", "partially_refunded")]


def test_a_partial_refund_after_shipping_then_the_rest(
    client, stripe_api, foosfoot, announcements, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    deliver(client, stripe_api, completed_event(stripe_api, result.session_id), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        mark_shipped(order=result.order, carrier="USPS", tracking_number="9400 1000")
    pi = Order.objects.get(pk=result.order.pk).payment_intent_id
    charge_id = stripe_api.payment_intent(pi)["latest_charge"]
    for amount in (900, None):
        stripe_api.refund(pi, amount, send_webhook=False)
        event = stripe_api.build_event("charge.refunded", without_refund_list(stripe_api.charge(charge_id)))
        assert deliver(client, stripe_api, event, django_capture_on_commit_callbacks).status_code == 200
        order = Order.objects.get(pk=result.order.pk)
        assert order.status == (Order.Status.PARTIALLY_REFUNDED if amount else Order.Status.REFUNDED)

    assert transitions(order) == [
        ("pending_payment", "paid"),
        ("paid", "shipped"),
        ("shipped", "partially_refunded"),
        ("partially_refunded", "refunded"),
    ]
    assert order.shipped_at is not None and order.tracking_number == "9400 1000"
    assert order.amount_refunded == Decimal("59.00")
    assert announcements["refunded"] == [order.pk]
