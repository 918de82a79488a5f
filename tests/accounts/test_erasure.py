"""Issue 14: erasure, from the account and from the admin, against the Stripe emulator and a real SMTP sink.

Stripe first (membership cancelled, customer deleted), then everything local in one go: orders and memberships
keep their facts under a pseudonym, programs stop and forget the person, a lesson being sent is waited for, stored
Stripe events lose the person, the suppression list keeps only a keyed hash, every session ends; one
confirmation goes to the old address. Refused while an order is being packed."""

import json
import re
import threading
import time

import pytest
from django.contrib.auth.models import Permission
from django.db import connections, transaction
from django.test import Client

from accounts.erasure import erase_customer
from accounts.models import CustomerErasure, SignInLink
from accounts.retention import run_privacy_pass
from billing.join import start_membership
from billing.models import BillingCustomer, Subscription
from core.errors import Refusal
from core.mail import MailKind, may_mail
from core.models import Consent, Suppression
from core.suppression import address_hash, is_suppressed
from payments.models import StripeEvent
from programs.dispatch import Outcome, deliver
from programs.enrollments import enroll
from programs.models import Delivery, Enrollment
from shop.models import Order
from shop.staff import mark_shipped
from tests.accounts.conftest import make_membership, sign_in_as
from tests.factories import OrderFactory, ProductFactory, program_with_steps
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
PACKING = "We are packing your order"


def buy(stripe_api, deliver_events, email: str, *, ship: bool = True) -> Order:
    product = ProductFactory(name="FoosFoot", slug=f"foosfoot-{Order.objects.count()}")
    program_with_steps(3, name="Stronger feet").granted_by.add(product)
    result = checkout(product, email=email)
    stripe_api.complete_session(
        result.session_id, "paid", send_webhook=False, name="Dana Smith", consent_promotions=True
    )
    deliver_events()
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PAID
    return mark_shipped(order=order, carrier="UPS", tracking_number="1Z999AA10123456784") if ship else order


def join(stripe_api, deliver_events, plan, email: str) -> Subscription:
    result = start_membership(plan=plan, email=email)
    stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    deliver_events()
    subscription = Subscription.objects.select_related("customer").get(pk=result.subscription.pk)
    assert subscription.status == Subscription.Status.ACTIVE
    return subscription


def payloads() -> str:
    return json.dumps([event.payload for event in StripeEvent.objects.all()]).lower()


def test_issue14_erasure_from_the_account_forgets_the_person_everywhere(
    client, stripe_api, deliver_events, mailbox, plan
):
    order = buy(stripe_api, deliver_events, "Dana@Example.com")
    member = join(stripe_api, deliver_events, plan, "dana@example.com")
    enrollment = Enrollment.objects.get(order=order)
    other_browser = sign_in_as(Client(), "dana@example.com")
    assert "dana@example.com" in payloads() and "dana smith" in payloads()
    sign_in_as(client, "dana@example.com")
    mailbox.clear()

    assert b"Erase my data" in client.get("/account/erase/").content
    assert client.post("/account/erase/", {}).status_code == 400  # the box unticked: nothing happens
    response = client.post("/account/erase/", {"confirm": "on"})
    assert response.status_code == 200 and b"Your data is erased" in response.content

    # Stripe: the membership is cancelled and the customer deleted.
    assert stripe_api.subscriptions[member.stripe_subscription_id]["status"] == "canceled"
    assert stripe_api.customers[member.customer.stripe_customer_id].get("deleted") is True
    erasure = CustomerErasure.objects.get()
    assert erasure.pseudonym.startswith("erased-") and erasure.pseudonym.endswith("@invalid")
    assert erasure.email_hash == address_hash("dana@example.com")

    # The orders stay for the accounts, without the person.
    kept = Order.objects.get(pk=order.pk)
    assert (kept.email, kept.customer_name, kept.status, kept.total) == (
        erasure.pseudonym,
        "",
        Order.Status.SHIPPED,
        order.total,
    )
    assert set(kept.shipping_address) <= {"country", "state"} and kept.shipping_address.get("country") == "US"
    assert not kept.events.filter(message__contains="***@example.com").exists()
    # The membership too, cancelled; its Stripe customer's row under the pseudonym.
    member.refresh_from_db()
    assert member.email == erasure.pseudonym and member.status == Subscription.Status.CANCELED
    assert not BillingCustomer.objects.filter(email="dana@example.com").exists()
    # Programs stopped and anonymous.
    enrollment.refresh_from_db()
    assert (enrollment.email, enrollment.name, enrollment.status) == (
        erasure.pseudonym,
        "",
        Enrollment.Status.CANCELLED,
    )
    assert not Delivery.objects.unfinished().exists()
    # Only a keyed hash in the suppression list; no consents; no links; no session anywhere.
    assert list(Suppression.objects.values_list("email", "email_hash", "reason")) == [
        (None, address_hash("dana@example.com"), Suppression.Reason.ERASED)
    ]
    assert is_suppressed("DANA@example.com") and not may_mail("dana@example.com", MailKind.LESSON)
    assert not Consent.objects.exists() and not SignInLink.objects.exists()
    for browser in (client, other_browser):
        assert b"Email me a sign-in link" in browser.get("/account/").content
    # Stripe's stored events lose the person, and so do the ones Stripe sends about the deletion, by the next pass.
    deliver_events()  # customer.subscription.deleted, customer.deleted: they name the customer
    run_privacy_pass()
    assert "dana@example.com" not in payloads() and "dana smith" not in payloads()
    assert StripeEvent.objects.filter(id__startswith="evt_").count() >= 5  # the events stay

    confirmation = [m for m in mailbox.wait_for(1) if m["Subject"] == "Your Hod & Hod data has been erased"]
    assert [m["To"] for m in confirmation] == ["dana@example.com"]

    # Signed in again (a new link), the export finds nothing.
    sign_in_as(client, "dana@example.com")
    data = client.get("/account/data.json").json()
    assert [data[key] for key in ("orders", "enrollments", "memberships", "consents", "stripe_events")] == [[]] * 5
    assert [entry["reason"] for entry in data["suppression"]] == ["erased"]  # the hash's entry, all that is left


def test_issue14_erasure_is_refused_while_an_order_is_paid_and_unshipped(client):
    OrderFactory(email="dana@example.com", number="HH-PACK01", status=Order.Status.PAID)
    sign_in_as(client, "dana@example.com")
    page = client.get("/account/erase/").content.decode()
    assert f"{PACKING} HH-PACK01; erase after it ships, or ask us to cancel it." in page
    assert "Erase my data</button>" not in page
    response = client.post("/account/erase/", {"confirm": "on"})
    assert response.status_code == 409 and PACKING in response.content.decode()
    assert Order.objects.get().email == "dana@example.com"
    assert not CustomerErasure.objects.exists() and not Suppression.objects.exists()
    assert b"Your account" in client.get("/account/").content  # still signed in


def test_issue14_an_open_checkout_is_cancelled_before_the_erasure(stripe_api, deliver_events, mailbox):
    product = ProductFactory()
    result = checkout(product, email="dana@example.com")
    erase_customer(email="dana@example.com", requested_by="customer (account page)")
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.CANCELLED and order.email.endswith("@invalid")
    assert stripe_api.sessions[result.session_id]["status"] == "expired"


def test_issue14_a_lesson_claimed_for_sending_is_never_sent_after_erasure(mailbox):
    program = program_with_steps(2)
    enrollment = enroll(program=program, email="dana@example.com", origin="staff")
    claimed = enrollment.deliveries.order_by("due_at").first()
    Delivery.objects.filter(pk=claimed.pk).update(status=Delivery.Status.SENDING)  # the dispatch pass claimed it

    erase_customer(email="dana@example.com", requested_by="customer (account page)")
    assert deliver(delivery_id=claimed.pk, final_attempt=True) is Outcome.NOTHING
    assert set(enrollment.deliveries.values_list("status", flat=True)) == {Delivery.Status.CANCELLED}
    mailbox.clear()
    time.sleep(0.2)
    assert [m["Subject"] for m in mailbox] == []


@pytest.mark.django_db(transaction=True)
def test_issue14_erasure_waits_for_a_lesson_being_sent_right_now(mailbox):
    program = program_with_steps(2)
    enrollment = enroll(program=program, email="dana@example.com", origin="staff")
    sending = enrollment.deliveries.order_by("due_at").first()
    Delivery.objects.filter(pk=sending.pk).update(status=Delivery.Status.SENDING)
    locked, finished = threading.Event(), []

    def send_in_progress():  # what programs.dispatch.deliver does: the row locked while the mail goes out
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=sending.pk)
                locked.set()
                time.sleep(1.0)
                Delivery.objects.filter(pk=sending.pk).update(status=Delivery.Status.SENT)
                finished.append(time.monotonic())
        finally:
            connections.close_all()

    sender = threading.Thread(target=send_in_progress)
    sender.start()
    assert locked.wait(10)
    erase_customer(email="dana@example.com", requested_by="customer (account page)")
    erased_at = time.monotonic()
    sender.join(10)
    assert finished and erased_at >= finished[0]  # it waited for the send to finish
    sending.refresh_from_db()
    assert sending.status == Delivery.Status.SENT  # what went out is recorded as sent, not overwritten
    enrollment.refresh_from_db()
    assert enrollment.email.endswith("@invalid") and enrollment.status == Enrollment.Status.CANCELLED
    assert not Delivery.objects.filter(enrollment=enrollment).unfinished().exists()


def test_issue14_a_new_order_by_an_erased_address_is_a_new_customer(client, stripe_api, deliver_events, mailbox):
    first = buy(stripe_api, deliver_events, "dana@example.com")
    erase_customer(email="dana@example.com", requested_by="customer (account page)")
    mailbox.clear()

    second = buy(stripe_api, deliver_events, "Dana@Example.com", ship=False)
    confirmation = [m for m in mailbox.wait_for(1) if second.number in m["Subject"]]
    assert [m["To"] for m in confirmation] == ["Dana@Example.com"]  # order mail goes despite the erased hash
    sign_in_as(client, "dana@example.com")
    page = client.get("/account/").content.decode()
    assert second.number in page and first.number not in page
    assert [o["number"] for o in client.get("/account/data.json").json()["orders"]] == [second.number]
    # Lessons wait until the customer, signed in, starts mail again (the erased hash holds back unasked mail).
    assert not may_mail("dana@example.com", MailKind.LESSON)
    assert "Start mail again" in page
    client.post("/account/", {"action": "mail_again"})
    assert may_mail("dana@example.com", MailKind.LESSON)


def test_issue14_the_pseudonym_is_never_mailed_and_a_stripe_outage_erases_nothing(plan, settings):
    for kind in MailKind:
        assert not may_mail("erased-0123456789abcdef@invalid", kind)
    make_membership(plan, "dana@example.com", customer_id="cus_missing")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(Refusal) as refused:
        erase_customer(email="dana@example.com", requested_by="customer (account page)")
    assert refused.value.code == "payment_unavailable"
    assert Subscription.objects.get().email == "dana@example.com" and not CustomerErasure.objects.exists()


# --- staff, for requests that come by mail ----------------------------------------------------

ADD = "/admin/accounts/customererasure/add/"


def staff(client, django_user_model, *codenames):
    user = django_user_model.objects.create_user("clerk", "clerk@hodhod.example", "pw-clerk-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_issue14_staff_erase_from_the_admin_with_its_own_permission(client, django_user_model, mailbox):
    OrderFactory(email="dana@example.com", status=Order.Status.SHIPPED)
    viewer = staff(client, django_user_model, "view_customererasure")
    assert viewer.get("/admin/accounts/customererasure/").status_code == 200
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"email": "dana@example.com", "confirm": "on"}).status_code == 403
    assert Order.objects.get().email == "dana@example.com"

    Permission.objects.get(codename="erase_customer").user_set.add(django_user_model.objects.get())
    page = viewer.get(ADD)
    assert page.status_code == 200 and b"Erase a customer" in page.content
    unconfirmed = viewer.post(ADD, {"email": "dana@example.com"})
    assert unconfirmed.status_code == 200 and Order.objects.get().email == "dana@example.com"
    done = viewer.post(ADD, {"email": "Dana@Example.com", "note": "ticket 4711", "confirm": "on"}, follow=True)
    assert b"Erased." in done.content
    erasure = CustomerErasure.objects.get()
    assert (erasure.requested_by, erasure.note) == ("staff:clerk", "ticket 4711")
    assert Order.objects.get().email == erasure.pseudonym
    assert [m["To"] for m in mailbox.wait_for(1)] == ["Dana@Example.com"]
    assert viewer.post(f"/admin/accounts/customererasure/{erasure.pk}/delete/", {"post": "yes"}).status_code == 403


def test_issue14_staff_erasure_is_refused_while_packing(client, django_user_model):
    OrderFactory(email="dana@example.com", number="HH-PACK02", status=Order.Status.PAID)
    admin = staff(client, django_user_model, "view_customererasure", "erase_customer")
    page = admin.post(ADD, {"email": "dana@example.com", "confirm": "on"}).content.decode()
    assert re.search(rf"{PACKING} HH-PACK02", page)
    assert not CustomerErasure.objects.exists()
