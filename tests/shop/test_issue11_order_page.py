"""Issue 11, items 5, 6 and 9 on the customer's pages: the cart links the shipping and returns pages, the
order page and the confirmation email write the address as its country does, and the order page says
"reply to your confirmation email" only once there is one."""

import pytest
from django.core import mail

from payments.events import process_stripe_event
from shop.models import Order, OrderEvent
from tests.factories import OrderFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
SPRINGFIELD = {"line1": "400 Main St", "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}


def contact_sentence(client, order: Order) -> str:
    html = client.get(order.get_absolute_url()).content.decode()
    start = html.index('id="order-contact"')
    return " ".join(html[start : html.index("</p>", start)].split())


def test_issue11_item5_the_cart_links_the_shipping_and_returns_pages(client, foosfoot):
    client.post(f"/shop/{foosfoot.slug}/", {"quantity": 1})
    html = client.get("/cart/").content.decode()
    assert '<a href="/pages/shipping/">' in html
    assert '<a href="/pages/returns/">' in html


def test_issue11_item9_an_order_awaiting_a_delayed_payment_promises_an_email_not_a_reply(client, stripe_api, foosfoot):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "delayed", send_webhook=False)
    process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    order = Order.objects.get(pk=result.order.pk)
    assert order.status == Order.Status.PENDING_PAYMENT
    sentence = contact_sentence(client, order)
    assert "no confirmation email yet" in sentence
    assert "we email you as soon as the payment clears" in sentence
    assert "Reply to your confirmation email" not in sentence
    assert 'href="/pages/contact/"' in sentence


def test_issue11_item9_an_order_waiting_for_stripe_says_we_will_email(client, stripe_api, foosfoot):
    order = checkout(foosfoot).order
    sentence = contact_sentence(client, order)
    assert "email you as soon as it is" in sentence and "Reply to" not in sentence


def test_issue11_item9_a_paid_order_says_reply_to_the_confirmation_email(
    client, stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    order = Order.objects.get(pk=result.order.pk)
    assert "Reply to your confirmation email and quote" in contact_sentence(client, order)
    assert len(mail.outbox) == 1  # the email the page points to exists


def test_issue11_item9_a_cancelled_order_points_to_the_contact_page(client):
    order = OrderFactory(status=Order.Status.CANCELLED)
    OrderEvent.objects.create(order=order, kind="transition", to_status="cancelled", actor="system")
    sentence = contact_sentence(client, order)
    assert "Reply to" not in sentence and 'href="/pages/contact/"' in sentence


def test_issue11_item6_the_order_page_writes_a_us_address_the_us_way(client):
    order = OrderFactory(status=Order.Status.PAID, customer_name="Dana Walker", shipping_address=SPRINGFIELD)
    html = client.get(order.get_absolute_url()).content.decode()
    assert "Dana Walker<br>400 Main St<br>Springfield, IL 62701<br>United States</address>" in html
    assert "62701 Springfield" not in html


def test_issue11_item6_the_confirmation_email_writes_a_us_address_the_us_way(
    stripe_api, foosfoot, django_capture_on_commit_callbacks
):
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    Order.objects.filter(pk=result.order.pk).update(shipping_address=SPRINGFIELD)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    [message] = mail.outbox
    assert "400 Main St\nSpringfield, IL 62701\nUnited States\n" in message.body
    assert "<br>Springfield, IL 62701<br>United States</p>" in message.alternatives[0][0]
    assert "62701 Springfield" not in message.body
