"""Staff work in Django admin: shipping, refunds (with their own permission), cancelling, exports."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail

from payments.events import process_stripe_event
from shop.models import Order, OrderEvent, Product, Refund
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/shop/order/"


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    return user


@pytest.fixture
def paid_order(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    mail.outbox.clear()
    return Order.objects.get(pk=result.order.pk)


def action(client, name: str, order: Order, **extra):
    return client.post(CHANGELIST, {"action": name, "_selected_action": [order.pk], **extra})


def order_page(order: Order, view: str = "change") -> str:
    return f"{CHANGELIST}{order.pk}/{view}/"


def test_fulfilment_clerk_cannot_refund(client, paid_order, stripe_api):
    client.force_login(staff("clerk", "view_order", "change_order"))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "mark_shipped" in page.content.decode()
    assert "refund_orders" not in page.content.decode()
    assert 'id="refund-order"' not in client.get(order_page(paid_order)).content.decode()
    assert client.get(order_page(paid_order, "refund")).status_code == 403
    assert client.post(order_page(paid_order, "refund"), {"amount": "10.00"}).status_code == 403
    response = action(client, "refund_orders", paid_order)
    assert response.status_code in (200, 302)
    assert not Refund.objects.exists()
    assert stripe_api.refunds == {}
    assert Order.objects.get(pk=paid_order.pk).status == Order.Status.PAID


def test_partial_then_full_refund_from_the_order_page(
    client, paid_order, stripe_api, django_capture_on_commit_callbacks
):
    client.force_login(staff("manager", "view_order", "change_order", "refund_order"))
    # The list's action leads to the order's own refund page.
    assert action(client, "refund_orders", paid_order)["Location"] == order_page(paid_order, "refund")
    form = client.get(order_page(paid_order, "refund"))
    assert form.status_code == 200
    assert "Refund order" in form.content.decode() and "59.00 USD" in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(order_page(paid_order, "refund"), {"amount": "20.00", "reason": "requested_by_customer"})
    assert response["Location"] == order_page(paid_order)
    order = Order.objects.get(pk=paid_order.pk)
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert order.amount_refunded == Decimal("20.00")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(order_page(paid_order, "refund"), {"amount": "39.00", "reason": "duplicate", "note": "Returned."})
    order = Order.objects.get(pk=paid_order.pk)
    assert order.status == Order.Status.REFUNDED
    assert list(order.refunds.values_list("amount", flat=True)) == [Decimal("20.00"), Decimal("39.00")]
    assert {r.created_by.username for r in order.refunds.all()} == {"manager"}
    assert len(stripe_api.refunds) == 2
    assert [refund["reason"] for refund in stripe_api.refunds.values()] == ["requested_by_customer", "duplicate"]
    assert "Duplicate payment — Returned." in order.events.filter(kind="refund").last().message
    charge = stripe_api.charge(stripe_api.payment_intent(order.payment_intent_id)["latest_charge"])
    assert charge["amount_refunded"] == 5900
    events = OrderEvent.objects.filter(order=order, kind="transition").values_list("to_status", "actor")
    assert list(events)[-2:] == [("partially_refunded", "staff:manager"), ("refunded", "staff:manager")]
    # The charge.refunded events Stripe sends for these refunds add nothing.
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("charge.refunded", charge))
    assert Refund.objects.count() == 2
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED
    assert len([m for m in mail.outbox if "refunded" in m.subject]) == 2


def test_refund_above_what_is_left_is_refused_and_the_form_keeps_what_was_typed(client, paid_order, stripe_api):
    client.force_login(staff("manager", "view_order", "change_order", "refund_order"))
    response = client.post(order_page(paid_order, "refund"), {"amount": "60.00", "reason": "duplicate", "note": "Oops"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Refund between 0.01 and 59.00 USD." in html
    assert 'value="60.00"' in html and '<option value="duplicate" selected>' in html and "Oops</textarea>" in html
    assert not Refund.objects.exists()
    assert stripe_api.refunds == {}


def test_mark_shipped_from_the_order_page_emails_tracking(client, paid_order, django_capture_on_commit_callbacks):
    client.force_login(staff("clerk", "view_order", "change_order"))
    assert action(client, "mark_shipped", paid_order)["Location"] == order_page(paid_order, "ship")
    form = client.get(order_page(paid_order, "ship"))
    assert form.status_code == 200
    assert b"tracking_number" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            order_page(paid_order, "ship"), {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
        )
    assert response["Location"] == order_page(paid_order)
    order = Order.objects.get(pk=paid_order.pk)
    assert order.status == Order.Status.SHIPPED
    assert (order.carrier, order.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert len(mail.outbox) == 1
    assert "1Z999AA10123456784" in mail.outbox[0].body
    assert "UPS" in mail.outbox[0].alternatives[0][0]
    assert f"/orders/{order.token}/" in mail.outbox[0].body


def test_cancel_unpaid_releases_stock_and_expires_the_session(client, stripe_api, foosfoot, paid_order):
    pending = checkout(foosfoot, quantity=3).order
    assert Product.objects.get(pk=foosfoot.pk).stock == 6
    client.force_login(staff("clerk", "view_order", "change_order"))
    client.post(CHANGELIST, {"action": "cancel_unpaid", "_selected_action": [pending.pk, paid_order.pk]})
    assert Order.objects.get(pk=pending.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=paid_order.pk).status == Order.Status.PAID
    assert Product.objects.get(pk=foosfoot.pk).stock == 9
    assert stripe_api.session(pending.checkout_session_id)["status"] == "expired"


def test_csv_export_packing_slip_and_staff_notes(client, paid_order):
    client.force_login(staff("clerk", "view_order", "change_order"))
    response = action(client, "export_csv", paid_order)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["number"] == paid_order.number
    assert rows[0]["total"] == "59.00"
    assert rows[0]["lines"] == "1 x FF-1"
    slips = action(client, "packing_slip", paid_order)
    assert slips.status_code == 302
    slip = client.get(slips["Location"])
    assert slip.status_code == 200
    assert paid_order.number in slip.content.decode()
    assert "FoosFoot" in slip.content.decode()

    page = client.get(f"{CHANGELIST}{paid_order.pk}/change/")
    assert page.status_code == 200
    assert 'name="total"' not in page.content.decode()  # money is read-only
    client.post(
        f"{CHANGELIST}{paid_order.pk}/change/",
        {
            "staff_notes": "Customer asked for gift wrap.",
            "needs_attention": "",
            **{
                f"{prefix}-{key}": value
                for prefix in ("lines", "refunds", "events")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    order = Order.objects.get(pk=paid_order.pk)
    assert order.staff_notes == "Customer asked for gift wrap."
    assert order.total == Decimal("59.00")
    assert order.events.filter(kind="note").exists()


def test_order_search_and_filters(client, paid_order, foosfoot):
    other = checkout(foosfoot, email="someone.else@example.org").order  # pending; must not match
    client.force_login(staff("clerk", "view_order"))

    def listed(**params) -> list[str]:
        # The result rows themselves: the page also echoes the query in the search box.
        response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        return [order.number for order in response.context["cl"].result_list]

    for query in (paid_order.number, paid_order.email, paid_order.payment_intent_id):
        assert listed(q=query) == [paid_order.number]
    assert listed(q=other.email) == [other.number]
    assert listed(status__exact="paid") == [paid_order.number]
    assert listed(status__exact="pending_payment") == [other.number]
    assert sorted(listed()) == sorted([paid_order.number, other.number])


def test_an_order_awaiting_a_delayed_payment_is_not_cancelled(client, stripe_api, foosfoot):
    pending = checkout(foosfoot).order
    stripe_api.complete_session(pending.checkout_session_id, "delayed", send_webhook=False)
    client.force_login(staff("clerk", "view_order", "change_order"))
    response = client.post(CHANGELIST, {"action": "cancel_unpaid", "_selected_action": [pending.pk]}, follow=True)
    assert "delayed payment" in response.content.decode()
    order = Order.objects.get(pk=pending.pk)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.filter(kind="awaiting_payment").exists()
    assert Product.objects.get(pk=foosfoot.pk).stock == 9


def test_every_shop_admin_page_renders(client, paid_order):
    admin_user = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin_user)
    cart = paid_order.cart
    event = paid_order.events.exclude(stripe_event_id="").first()
    for url in (
        "/admin/shop/product/",
        f"/admin/shop/product/{paid_order.lines.get().product_id}/change/",
        "/admin/shop/product/add/",
        CHANGELIST,
        f"{CHANGELIST}{paid_order.pk}/change/",
        f"{CHANGELIST}{paid_order.pk}/ship/",
        f"{CHANGELIST}{paid_order.pk}/refund/",
        f"{CHANGELIST}{paid_order.pk}/packing-slip/",
        f"{CHANGELIST}packing-slips/?ids={paid_order.pk}",
        f"{CHANGELIST}?needs_attention__exact=1",
        "/admin/payments/stripeevent/",
        f"/admin/payments/stripeevent/{event.stripe_event_id}/change/",
        "/admin/shop/cart/",
        f"/admin/shop/cart/{cart.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_refund_service_itself_checks_the_permission(paid_order, stripe_api):
    from django.core.exceptions import PermissionDenied

    from shop.refunds import refund_order

    with pytest.raises(PermissionDenied):
        refund_order(order=paid_order, amount=Decimal("1.00"), user=staff("clerk", "view_order", "change_order"))
    assert stripe_api.refunds == {}
