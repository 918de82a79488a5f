"""Stripe Billing in the emulator: products and prices, customers, subscriptions started by
Checkout, invoices and their payments, the clock (renewals, declines, retries, recovery,
exhaustion, notices) and the customer portal; with the real `stripe` library over HTTP."""

import re
import subprocess
import sys

import pytest
import stripe

from stripe_emulator import StripeError

from .support import fetch, read_page, shape_problems, submit

DAY = 86400
SUBSCRIBE_EVENTS = [
    "customer.created",
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "customer.subscription.updated",
    "checkout.session.completed",
]
RENEWAL_EVENTS = [
    "customer.subscription.updated",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
]


@pytest.fixture
def plans(client):
    """A membership product with a monthly and a yearly price (lookup keys), as a namespace."""
    product = client.v1.products.create(params={"name": "Membership", "metadata": {"kind": "membership"}})
    monthly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 1200, "recurring": {"interval": "month"}, "lookup_key": "member_monthly"}
    )  # fmt: skip
    yearly = client.v1.prices.create(
        params={"product": product.id, "currency": "usd", "unit_amount": 12000, "recurring": {"interval": "year"}, "lookup_key": "member_yearly"}
    )  # fmt: skip
    return type("Plans", (), {"product": product, "monthly": monthly, "yearly": yearly})


def subscribe(client, stripe_api, price, **overrides):
    """A paid subscription-mode session; returns the completed session (a dict)."""
    params = {
        "mode": "subscription",
        "line_items": [{"price": price.id, "quantity": 1}],
        "customer_email": "member@example.com",
        "client_reference_id": "user-7",
        "success_url": "http://hodhod.test/membership/welcome/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://hodhod.test/membership/",
        "metadata": {"user": "7"},
    }
    params.update(overrides)
    session = client.v1.checkout.sessions.create(params=params)
    return stripe_api.complete_session(session.id)


def period_end(client, subscription_id):
    return client.v1.subscriptions.retrieve(subscription_id).items.data[0].current_period_end


def types(result):
    return [event["type"] for event in result["events"]]


# ----------------------------------------------------------- catalog, customers


def test_prices_are_found_by_lookup_key_product_and_activity(client, plans):
    found = client.v1.prices.list(params={"lookup_keys": ["member_monthly", "member_yearly"]})
    assert {p.id for p in found.data} == {plans.monthly.id, plans.yearly.id}
    assert plans.monthly.recurring.to_dict() == {
        "interval": "month", "interval_count": 1, "meter": None, "trial_period_days": None, "usage_type": "licensed"
    }  # fmt: skip
    assert shape_problems(plans.monthly.to_dict(), stripe.Price) == []
    assert shape_problems(plans.product.to_dict(), stripe.Product) == []
    assert [
        p.id
        for p in client.v1.prices.list(params={"product": plans.product.id, "recurring": {"interval": "year"}}).data
    ] == [plans.yearly.id]
    expanded = client.v1.prices.list(params={"lookup_keys": ["member_monthly"], "expand": ["data.product"]})
    assert expanded.data[0].product.name == "Membership"

    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.prices.create(
            params={"product": plans.product.id, "currency": "usd", "unit_amount": 1300, "recurring": {"interval": "month"}, "lookup_key": "member_monthly"}
        )  # fmt: skip
    assert taken.value.param == "lookup_key"
    moved = client.v1.prices.create(
        params={"product": plans.product.id, "currency": "usd", "unit_amount": 1300, "recurring": {"interval": "month"}, "lookup_key": "member_monthly", "transfer_lookup_key": True}
    )  # fmt: skip
    assert client.v1.prices.retrieve(plans.monthly.id).lookup_key is None
    assert [p.id for p in client.v1.prices.list(params={"lookup_keys": ["member_monthly"]}).data] == [moved.id]
    renamed = client.v1.products.update(plans.product.id, params={"name": "Hod & Hod membership"})
    assert renamed.name == "Hod & Hod membership" and renamed.metadata.to_dict() == {"kind": "membership"}


def test_an_archived_price_stays_readable_but_cannot_be_bought(client, stripe_api, plans):
    archived = client.v1.prices.update(plans.monthly.id, params={"active": False})

    assert archived.active is False
    assert [p.id for p in client.v1.prices.list(params={"active": True}).data] == [plans.yearly.id]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": plans.monthly.id, "quantity": 1}],
                "success_url": "http://x.test/",
            }
        )
    assert refused.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as one_time:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [{"price": plans.yearly.id, "quantity": 1}],
                "success_url": "http://x.test/",
            }
        )
    assert "recurring price" in one_time.value.user_message


def test_customers_are_created_found_by_email_updated_and_deleted(client, stripe_api):
    customer = client.v1.customers.create(
        params={"email": "ada@example.com", "name": "Ada", "metadata": {"user": "1", "team": "a"}}
    )
    assert shape_problems(customer.to_dict(), stripe.Customer) == []
    assert [c.id for c in client.v1.customers.list(params={"email": "ada@example.com"}).data] == [customer.id]
    updated = client.v1.customers.update(customer.id, params={"name": "Ada L.", "metadata": {"team": ""}})
    assert (updated.name, updated.metadata.to_dict()) == ("Ada L.", {"user": "1"})

    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list(params={"email": "ada@example.com"}).data == []
    assert [e["type"] for e in stripe_api.events] == ["customer.created", "customer.updated", "customer.deleted"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create(params={"email": "not-an-email"})


# ------------------------------------------------------------ subscription checkout


def test_paying_a_subscription_session_sends_stripes_events_in_order(client, stripe_api, plans, receiver):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": plans.monthly.id, "quantity": 1}],
            "customer_email": "member@example.com",
            "client_reference_id": "user-7",
            "success_url": "http://hodhod.test/welcome/",
            "subscription_data": {"metadata": {"user": "7"}},
        },
        options={"idempotency_key": "membership-user-7"},
    )
    again = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": plans.monthly.id, "quantity": 1}],
            "customer_email": "member@example.com",
            "client_reference_id": "user-7",
            "success_url": "http://hodhod.test/welcome/",
            "subscription_data": {"metadata": {"user": "7"}},
        },
        options={"idempotency_key": "membership-user-7"},
    )
    assert again.id == session.id
    assert (session.mode, session.amount_total, session.payment_method_collection) == ("subscription", 1200, "always")
    _, _, html = fetch(session.url)
    assert "Then 12.00 USD every month" in html and 'value="delayed"' not in html
    already, received = len(stripe_api.events), len(receiver.received)

    status, _, _ = submit(session.url, html, "pay")

    assert status == 303
    assert receiver.types(received + len(SUBSCRIBE_EVENTS))[received:] == SUBSCRIBE_EVENTS  # delivered in this order
    assert [e["type"] for e in stripe_api.events[already:]] == SUBSCRIBE_EVENTS
    completed = client.v1.checkout.sessions.retrieve(session.id)
    assert completed.payment_status == "paid" and completed.payment_intent is None
    assert completed.subscription.startswith("sub_") and completed.customer.startswith("cus_")
    subscription = client.v1.subscriptions.retrieve(completed.subscription)
    assert subscription.latest_invoice == completed.invoice
    assert (subscription.status, subscription.customer, subscription.metadata.to_dict()) == (
        "active",
        completed.customer,
        {"user": "7"},
    )
    created = [e for e in stripe_api.events if e["type"] == "customer.subscription.created"][0]
    assert created["data"]["object"]["status"] == "incomplete"  # Checkout's subscription starts incomplete
    updated = [e for e in stripe_api.events if e["type"] == "customer.subscription.updated"][0]
    assert updated["data"]["previous_attributes"] == {"status": "incomplete"}


def test_subscription_invoice_and_payment_have_the_pinned_shapes_and_the_payment_refunds(
    client, stripe_api, plans, receiver
):
    completed = subscribe(client, stripe_api, plans.monthly)
    subscription = client.v1.subscriptions.retrieve(completed["subscription"])
    item = subscription.items.data[0]

    assert shape_problems(subscription.to_dict(), stripe.Subscription) == []
    assert "current_period_end" not in subscription and "current_period_start" not in subscription
    assert item.current_period_start == subscription.start_date
    assert 28 * DAY <= item.current_period_end - item.current_period_start <= 31 * DAY
    assert shape_problems(item.to_dict(), stripe.SubscriptionItem) == []
    assert (item.price.id, item.plan.amount, subscription.billing_mode.type) == (plans.monthly.id, 1200, "flexible")

    invoice = client.v1.invoices.retrieve(completed["invoice"])
    assert shape_problems(invoice.to_dict(), stripe.Invoice) == []
    assert "payment_intent" not in invoice and "subscription" not in invoice
    assert invoice.parent.type == "subscription_details"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert (invoice.status, invoice.billing_reason, invoice.amount_paid, invoice.total) == (
        "paid",
        "subscription_create",
        1200,
        1200,
    )
    [line] = invoice.lines.data
    assert shape_problems(line.to_dict(), stripe.InvoiceLineItem) == []
    assert line.pricing.price_details.price == plans.monthly.id
    assert (line.period.start, line.period.end) == (item.current_period_start, item.current_period_end)
    assert [i.id for i in client.v1.invoices.list(params={"subscription": subscription.id}).data] == [invoice.id]

    [payment] = client.v1.invoice_payments.list(params={"invoice": invoice.id}).data
    assert shape_problems(payment.to_dict(), stripe.InvoicePayment) == []
    assert (payment.status, payment.amount_paid, payment.payment.type) == ("paid", 1200, "payment_intent")
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert (intent.status, intent.amount, intent.customer) == ("succeeded", 1200, subscription.customer)
    expanded = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert expanded.payments.data[0].id == payment.id

    refund = client.v1.refunds.create(params={"payment_intent": payment.payment.payment_intent})
    assert (refund.status, refund.amount) == ("succeeded", 1200)
    [refunded] = receiver.wait_for_type("charge.refunded")
    assert refunded.data.object.payment_intent == payment.payment.payment_intent


def test_a_trial_starts_with_a_zero_invoice_warns_three_days_ahead_and_bills_at_its_end(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly, subscription_data={"trial_period_days": 14})
    subscription = client.v1.subscriptions.retrieve(completed["subscription"])

    assert (completed["payment_status"], completed["amount_total"]) == ("no_payment_required", 0)
    assert [e["type"] for e in stripe_api.events][-6:] == [
        "customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded", "checkout.session.completed",
    ]  # fmt: skip
    assert (subscription.status, subscription.trial_end - subscription.trial_start) == ("trialing", 14 * DAY)
    assert subscription.items.data[0].current_period_end == subscription.trial_end
    assert client.v1.invoices.retrieve(completed["invoice"]).amount_due == 0

    assert types(stripe_api.advance_clock(11 * DAY + 1)) == ["customer.subscription.trial_will_end"]
    ended = stripe_api.advance_clock(to=subscription.trial_end)
    assert types(ended) == RENEWAL_EVENTS
    assert ended["events"][0]["type"] == "customer.subscription.updated"
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed.status == "active"
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    assert (invoice.amount_paid, invoice.billing_reason) == (1200, "subscription_cycle")
    first_update = stripe_api.retrieve_event(ended["events"][0]["id"])
    assert first_update["data"]["previous_attributes"]["status"] == "trialing"


def test_an_existing_customer_is_charged_without_a_new_one(client, stripe_api, plans):
    customer = client.v1.customers.create(params={"email": "old@example.com"})
    before = len(stripe_api.events)

    completed = subscribe(client, stripe_api, plans.yearly, customer=customer.id, customer_email=None)

    assert completed["customer"] == customer.id
    assert completed["customer_details"]["email"] == "old@example.com"
    assert "customer.created" not in [e["type"] for e in stripe_api.events[before:]]
    assert client.v1.subscriptions.list(params={"customer": customer.id}).data[0].id == completed["subscription"]
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.checkout.sessions.create(
            params={"mode": "subscription", "customer": customer.id, "customer_email": "x@example.com", "line_items": [{"price": plans.yearly.id, "quantity": 1}]}
        )  # fmt: skip
    assert both.value.param == "customer_email"


def test_a_promotion_code_discounts_a_subscriptions_invoices_as_long_as_its_duration(client, stripe_api, plans):
    once = client.v1.coupons.create(params={"percent_off": 50, "duration": "once"})
    forever = client.v1.coupons.create(params={"amount_off": 200, "currency": "usd", "duration": "forever"})
    client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": once.id}, "code": "HALF"})
    client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": forever.id}, "code": "LOYAL"})
    half = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": plans.monthly.id, "quantity": 1}],
            "allow_promotion_codes": True,
        }
    )
    loyal = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": plans.monthly.id, "quantity": 1}],
            "allow_promotion_codes": True,
        }
    )

    first = stripe_api.complete_session(half.id, promotion_code="HALF", email="a@example.com")
    second = stripe_api.complete_session(loyal.id, promotion_code="LOYAL", email="b@example.com")

    assert first["amount_total"] == 600
    assert client.v1.invoices.retrieve(first["invoice"]).total_discount_amounts[0].amount == 600
    assert client.v1.subscriptions.retrieve(first["subscription"]).discounts == []  # a `once` coupon is used up
    assert len(client.v1.subscriptions.retrieve(second["subscription"]).discounts) == 1
    stripe_api.advance_clock(to=max(period_end(client, c["subscription"]) for c in (first, second)))
    totals = {
        inv.parent.subscription_details.subscription: inv.total
        for inv in client.v1.invoices.list(params={"status": "paid"}).data
        if inv.billing_reason == "subscription_cycle"
    }
    assert totals == {first["subscription"]: 1200, second["subscription"]: 1000}


# -------------------------------------------------------------- subscriptions API


def test_cancel_at_period_end_resume_and_the_end_of_the_period(client, stripe_api, plans, receiver):
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id = completed["subscription"]
    end = period_end(client, sub_id)

    scheduled = client.v1.subscriptions.update(
        sub_id, params={"cancel_at_period_end": True, "cancellation_details": {"feedback": "too_expensive"}}
    )
    assert (scheduled.cancel_at_period_end, scheduled.cancel_at, scheduled.status) == (True, end, "active")
    assert abs(scheduled.canceled_at - stripe_api.now()) <= 1
    assert scheduled.cancellation_details.to_dict() == {
        "comment": None,
        "feedback": "too_expensive",
        "reason": "cancellation_requested",
    }
    [update] = [e for e in stripe_api.events if e["type"] == "customer.subscription.updated"][-1:]
    assert update["data"]["previous_attributes"]["cancel_at_period_end"] is False

    resumed = client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": False})
    assert (resumed.cancel_at_period_end, resumed.cancel_at, resumed.canceled_at) == (False, None, None)
    client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": True})

    result = stripe_api.advance_clock(to=end + 60)
    assert types(result) == ["customer.subscription.deleted"]
    ended = client.v1.subscriptions.retrieve(sub_id)
    assert (ended.status, ended.ended_at) == ("canceled", end)
    assert client.v1.subscriptions.list(params={"customer": completed["customer"]}).data == []
    assert [s.id for s in client.v1.subscriptions.list(params={"status": "canceled"}).data] == [sub_id]
    assert receiver.wait_for_type("customer.subscription.deleted")[0].data.object.id == sub_id


def test_deleting_a_subscription_cancels_it_now(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)

    canceled = client.v1.subscriptions.cancel(completed["subscription"])

    assert (canceled.status, canceled.cancellation_details.reason) == ("canceled", "cancellation_requested")
    assert abs(canceled.ended_at - stripe_api.now()) <= 1
    assert stripe_api.events[-1]["type"] == "customer.subscription.deleted"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(completed["subscription"])
    assert types(stripe_api.advance_clock(40 * DAY)) == []  # nothing renews


def test_deleting_a_customer_cancels_its_subscriptions(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)

    client.v1.customers.delete(completed["customer"])

    assert [e["type"] for e in stripe_api.events[-2:]] == ["customer.subscription.deleted", "customer.deleted"]
    assert client.v1.subscriptions.retrieve(completed["subscription"]).status == "canceled"


def test_switching_plan_prorates_onto_the_next_invoice_by_default(client, stripe_api, plans):
    upgraded = client.v1.prices.create(
        params={"product": plans.product.id, "currency": "usd", "unit_amount": 2400, "recurring": {"interval": "month"}}
    )
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id = completed["subscription"]
    item = client.v1.subscriptions.retrieve(sub_id).items.data[0]
    stripe_api.advance_clock((item.current_period_end - item.current_period_start) // 2)

    switched = client.v1.subscriptions.update(sub_id, params={"items": [{"id": item.id, "price": upgraded.id}]})

    assert switched.items.data[0].price.id == upgraded.id
    assert switched.items.data[0].current_period_end == item.current_period_end  # same period
    assert stripe_api.events[-1]["type"] == "customer.subscription.updated"
    assert "items" in stripe_api.events[-1]["data"]["previous_attributes"]
    stripe_api.advance_clock(to=item.current_period_end)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub_id).latest_invoice)
    amounts = [(line.amount, line.parent.subscription_item_details.proration) for line in renewal.lines.data]
    assert amounts == [(-600, True), (1200, True), (2400, False)]
    assert renewal.amount_paid == 3000


def test_switching_with_always_invoice_bills_now_and_none_does_not_prorate(client, stripe_api, plans):
    upgraded = client.v1.prices.create(
        params={"product": plans.product.id, "currency": "usd", "unit_amount": 2400, "recurring": {"interval": "month"}}
    )
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id = completed["subscription"]
    item = client.v1.subscriptions.retrieve(sub_id).items.data[0]
    before = len(stripe_api.events)

    client.v1.subscriptions.update(
        sub_id, params={"items": [{"id": item.id, "price": upgraded.id}], "proration_behavior": "always_invoice"}
    )

    assert [e["type"] for e in stripe_api.events[before:]] == ["customer.subscription.updated", *RENEWAL_EVENTS[1:]]
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub_id).latest_invoice)
    assert invoice.billing_reason == "subscription_update"
    assert [line.amount for line in invoice.lines.data] == [-1200, 2400]  # the whole period is left
    client.v1.subscriptions.update(
        sub_id, params={"items": [{"id": item.id, "price": plans.monthly.id}], "proration_behavior": "none"}
    )
    assert client.v1.subscriptions.retrieve(sub_id).latest_invoice == invoice.id
    with pytest.raises(stripe.InvalidRequestError) as unsupported:
        client.v1.subscriptions.update(sub_id, params={"pause_collection": {"behavior": "void"}})
    assert unsupported.value.param == "pause_collection"


def test_switching_to_a_yearly_price_starts_a_new_period_billed_now(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id = completed["subscription"]
    item = client.v1.subscriptions.retrieve(sub_id).items.data[0]

    switched = client.v1.subscriptions.update(sub_id, params={"items": [{"id": item.id, "price": plans.yearly.id}]})

    new_item = switched.items.data[0]
    assert abs(new_item.current_period_start - stripe_api.now()) <= 1
    assert 365 * DAY <= new_item.current_period_end - new_item.current_period_start <= 366 * DAY
    invoice = client.v1.invoices.retrieve(switched.latest_invoice)
    assert [line.amount for line in invoice.lines.data] == [-1200, 12000]
    assert invoice.amount_paid == 10800


# ------------------------------------------------------------------------ clock


def test_the_clock_renews_a_subscription_at_the_end_of_each_period(client, stripe_api, plans, receiver):
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id = completed["subscription"]
    first_end = period_end(client, sub_id)
    already = len(receiver.wait_for(len(SUBSCRIBE_EVENTS)))

    result = stripe_api.advance_clock(to=first_end)

    assert types(result) == RENEWAL_EVENTS
    assert receiver.types(already + len(RENEWAL_EVENTS))[already:] == RENEWAL_EVENTS
    item = client.v1.subscriptions.retrieve(sub_id).items.data[0]
    assert item.current_period_start == first_end
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub_id).latest_invoice)
    assert (invoice.period_end, invoice.lines.data[0].period.start, invoice.status) == (first_end, first_end, "paid")
    updated = stripe_api.retrieve_event(result["events"][0]["id"])
    assert updated["data"]["previous_attributes"]["items"]["data"][0]["current_period_end"] == first_end
    assert len([t for t in types(stripe_api.advance_clock(62 * DAY)) if t == "invoice.paid"]) == 2


def test_a_declined_renewal_goes_past_due_is_retried_and_recovers_once_the_card_is_fixed(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)
    sub_id, customer = completed["subscription"], completed["customer"]
    stripe_api.set_card_failing(customer)

    result = stripe_api.advance_clock(to=period_end(client, sub_id))

    assert types(result) == [*RENEWAL_EVENTS[:3], "invoice.payment_failed", "customer.subscription.updated"]
    assert client.v1.subscriptions.retrieve(sub_id).status == "past_due"
    invoice = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(sub_id).latest_invoice)
    attempted = invoice.status_transitions.finalized_at
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 1, attempted + 3 * DAY)
    intent = client.v1.payment_intents.retrieve(
        client.v1.invoice_payments.list(params={"invoice": invoice.id}).data[0].payment.payment_intent
    )
    assert (intent.status, intent.last_payment_error.code) == ("requires_payment_method", "card_declined")

    assert types(stripe_api.advance_clock(3 * DAY)) == ["invoice.payment_failed"]
    assert client.v1.invoices.retrieve(invoice.id).next_payment_attempt == attempted + 8 * DAY
    stripe_api.set_card_failing(customer, False)
    assert stripe_api.events[-1]["type"] == "customer.updated"
    recovered = stripe_api.advance_clock(5 * DAY)

    assert types(recovered) == ["invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated"]
    assert client.v1.subscriptions.retrieve(sub_id).status == "active"
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.attempt_count, paid.amount_paid) == ("paid", 3, 1200)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


@pytest.mark.parametrize("final", ["canceled", "unpaid"])
def test_exhausted_retries_cancel_the_subscription_or_leave_it_unpaid(client, stripe_api, plans, final):
    stripe_api.dunning_final_status = final
    try:
        completed = subscribe(client, stripe_api, plans.monthly)
        sub_id = completed["subscription"]
        stripe_api.set_card_failing(completed["customer"])
        stripe_api.advance_clock(to=period_end(client, sub_id))

        retries = stripe_api.advance_clock(15 * DAY)  # 3, then 5, then 7 days after each attempt
    finally:
        stripe_api.dunning_final_status = "canceled"

    last = "customer.subscription.deleted" if final == "canceled" else "customer.subscription.updated"
    assert types(retries) == ["invoice.payment_failed"] * 3 + [last]
    subscription = client.v1.subscriptions.retrieve(sub_id)
    assert subscription.status == final
    if final == "canceled":
        assert subscription.cancellation_details.reason == "payment_failed"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.attempt_count, invoice.next_payment_attempt, invoice.status) == (4, None, "open")


def test_invoice_upcoming_comes_seven_days_before_a_yearly_renewal(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.yearly)
    end = period_end(client, completed["subscription"])

    early = stripe_api.advance_clock(to=end - 8 * DAY)
    notice = stripe_api.advance_clock(to=end - 7 * DAY)

    assert types(early) == [] and types(notice) == ["invoice.upcoming"]
    preview = stripe_api.retrieve_event(notice["events"][0]["id"])["data"]["object"]
    assert (preview["id"], preview["object"], preview["amount_due"]) == (None, "invoice", 12000)
    assert preview["parent"]["subscription_details"]["subscription"] == completed["subscription"]
    assert types(stripe_api.advance_clock(7 * DAY)) == RENEWAL_EVENTS


def test_shuffled_and_duplicated_deliveries_of_one_advance(client, stripe_api, plans, receiver):
    subscribe(client, stripe_api, plans.monthly)
    subscribe(client, stripe_api, plans.monthly, customer_email="two@example.com")
    already = len(receiver.wait_for(2 * len(SUBSCRIBE_EVENTS)))

    result = stripe_api.advance_clock(32 * DAY, shuffle=True, duplicate=True, seed=7)

    made = [event["id"] for event in result["events"]]
    assert len(made) == 2 * len(RENEWAL_EVENTS)
    arrived = [event.id for event in receiver.wait_for(already + 2 * len(made))[already:]]
    assert sorted(arrived) == sorted(made * 2)
    assert arrived != [event_id for event_id in made for _ in range(2)]  # not in the order they were made
    replay = stripe_api.deliver_events(
        [stripe_api.retrieve_event(i) for i in made], shuffle=True, duplicate=True, seed=7
    )
    assert [event["id"] for event in replay] == arrived  # the seed decides the order


# ---------------------------------------------------------- HTTP controls, CLI


def test_the_clock_over_http(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)
    end = period_end(client, completed["subscription"])

    status, _, body = fetch(
        f"{stripe_api.base_url}/_emulator/clock/advance", data={"to": end, "shuffle": "1", "seed": "3"}
    )

    assert status == 200
    import json

    answer = json.loads(body)
    assert answer["now"] >= end and sorted(e["type"] for e in answer["events"]) == sorted(RENEWAL_EVENTS)
    status, _, body = fetch(f"{stripe_api.base_url}/_emulator/clock")
    assert json.loads(body)["offset"] == answer["offset"] > 0
    status, _, body = fetch(f"{stripe_api.base_url}/_emulator/clock/advance", data={"seconds": "-5"})
    assert status == 400
    status, _, body = fetch(
        f"{stripe_api.base_url}/_emulator/customers/{completed['customer']}/card", data={"failing": "1"}
    )
    assert (status, json.loads(body)["failing"]) == (200, True)


def test_the_command_line_starts_the_clock_ahead():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_emulator",
            "--port",
            "0",
            "--clock-offset",
            "86400",
            "--dunning-final-status",
            "unpaid",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        status, _, body = fetch(f"{base_url}/_emulator/clock")
        assert status == 200 and '"offset": 86400' in body
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_pay_invoice_tries_the_card_now(client, stripe_api, plans):
    completed = subscribe(client, stripe_api, plans.monthly)
    stripe_api.set_card_failing(completed["customer"])
    stripe_api.advance_clock(to=period_end(client, completed["subscription"]))
    invoice_id = client.v1.subscriptions.retrieve(completed["subscription"]).latest_invoice

    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice_id)
    stripe_api.set_card_failing(completed["customer"], False)
    assert client.v1.invoices.pay(invoice_id).status == "paid"
    assert client.v1.subscriptions.retrieve(completed["subscription"]).status == "active"


# ----------------------------------------------------------------------- portal


def portal_for(client, stripe_api, plans, **features):
    config = client.v1.billing_portal.configurations.create(
        params={
            "business_profile": {"headline": "Hod & Hod membership"},
            "features": {
                "subscription_cancel": {"enabled": True, "mode": "at_period_end"},
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [{"product": plans.product.id, "prices": [plans.monthly.id, plans.yearly.id]}],
                    "proration_behavior": "none",
                },
                "payment_method_update": {"enabled": True},
                **features,
            },
        }
    )
    completed = subscribe(client, stripe_api, plans.monthly)
    session = client.v1.billing_portal.sessions.create(
        params={
            "customer": completed["customer"],
            "return_url": "http://hodhod.test/account/",
            "configuration": config.id,
        }
    )
    return config, session, completed


def test_portal_configurations_and_sessions_have_stripes_shape(client, stripe_api, plans):
    config, session, completed = portal_for(client, stripe_api, plans)

    assert shape_problems(config.to_dict(), stripe.billing_portal.Configuration) == []
    assert shape_problems(session.to_dict(), stripe.billing_portal.Session) == []
    assert config.features.subscription_cancel.mode == "at_period_end"
    assert config.features.subscription_update.products[0].prices == [plans.monthly.id, plans.yearly.id]
    assert (session.customer, session.configuration, session.url) == (
        completed["customer"],
        config.id,
        f"{stripe_api.base_url}/portal/{session.id}",
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.sessions.create(params={"customer": "cus_nobody"})
    default = client.v1.billing_portal.sessions.create(params={"customer": completed["customer"]})
    assert default.configuration != config.id  # the account's default settings


def test_the_portal_page_cancels_resumes_and_switches_plans(client, stripe_api, plans, receiver):
    _, session, completed = portal_for(client, stripe_api, plans)
    sub_id = completed["subscription"]
    _, _, html = fetch(session.url)
    page = read_page(html)
    assert page.html_lang == "en" and page.external == []
    assert all(attrs["id"] in page.labels for attrs in page.fields.values())
    assert "Renews on" in html and 'href="http://hodhod.test/account/"' in html

    status, headers, _ = submit(session.url, html, "cancel")
    assert (status, headers["Location"]) == (303, f"/portal/{session.id}")
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at_period_end is True
    _, _, html = fetch(session.url)
    assert "Cancels on" in html
    submit(session.url, html, "resume")
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at_period_end is False

    _, _, html = fetch(session.url)
    submit(session.url, html, "switch", price=plans.yearly.id)
    switched = client.v1.subscriptions.retrieve(sub_id)
    assert switched.items.data[0].price.id == plans.yearly.id
    receiver.wait_for_type("customer.subscription.updated", 4)
    updates = [
        e["data"]["previous_attributes"] for e in stripe_api.events if e["type"] == "customer.subscription.updated"
    ]
    assert [u.get("cancel_at_period_end") for u in updates[1:3]] == [False, True]
    assert updates[3]["items"]["data"][0]["price"]["id"] == plans.monthly.id


def test_the_portal_card_switches_make_renewals_decline_and_then_recover(client, stripe_api, plans):
    _, session, completed = portal_for(client, stripe_api, plans)
    _, _, html = fetch(session.url)

    submit(session.url, html, "card_fail")
    _, _, html = fetch(session.url)
    assert "declines every charge" in html
    stripe_api.advance_clock(to=period_end(client, completed["subscription"]))
    assert client.v1.subscriptions.retrieve(completed["subscription"]).status == "past_due"

    submit(session.url, html, "card_fix")
    assert stripe_api.events[-1]["type"] == "customer.updated"
    recovered = stripe_api.advance_clock(3 * DAY)
    assert types(recovered) == ["invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated"]
    assert client.v1.subscriptions.retrieve(completed["subscription"]).status == "active"


def test_the_portal_refuses_what_its_configuration_does_not_offer(client, stripe_api, plans):
    _, session, completed = portal_for(client, stripe_api, plans, subscription_cancel={"enabled": False})
    _, _, html = fetch(session.url)
    assert 'value="cancel"' not in html

    status, _, body = fetch(session.url, data={"action": "cancel", "subscription": completed["subscription"]})
    assert status == 400 and 'role="alert"' in body
    with pytest.raises(StripeError):
        stripe_api.portal_action(
            session.id, "switch", subscription_id=completed["subscription"], price_id="price_other"
        )


@pytest.mark.parametrize(
    ("mode", "extra", "param"),
    [
        ("subscription", {"shipping_options": [{"shipping_rate_data": {"display_name": "X", "fixed_amount": {"amount": 1, "currency": "usd"}}}]}, "shipping_options"),
        ("subscription", {"payment_intent_data": {"metadata": {"a": "b"}}}, "payment_intent_data"),
        ("subscription", {"automatic_tax": {"enabled": True}}, "automatic_tax"),
        ("subscription", {"customer_creation": "always"}, "customer_creation"),
        ("subscription", {"subscription_data": {"trial_period_days": 0}}, "subscription_data[trial_period_days]"),
        ("subscription", {"subscription_data": {"pause_after": 1}}, "subscription_data[pause_after]"),
        ("payment", {"subscription_data": {"trial_period_days": 7}}, "subscription_data"),
    ],
)  # fmt: skip
def test_parameters_of_the_other_mode_are_refused(client, stripe_api, plans, mode, extra, param):
    line = {"price": plans.monthly.id, "quantity": 1} if mode == "subscription" else {
        "price_data": {"currency": "usd", "unit_amount": 100, "product_data": {"name": "X"}}, "quantity": 1
    }  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            params={"mode": mode, "line_items": [line], "success_url": "http://x.test/", **extra}
        )
    assert raised.value.param == param
    assert stripe_api.sessions == {}
