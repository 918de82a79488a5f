"""Helpers for the shop tests: build a checked-out order through the real services and the emulator."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User

from payments.events import process_stripe_event
from shop.carts import add_to_cart, create_cart
from shop.checkout import start_checkout
from shop.models import Order
from tests.factories import ProductFactory


def checkout(product, quantity: int = 1, email: str = "dana@example.com", country: str | None = None):
    cart = create_cart()
    add_to_cart(cart=cart, product=product, quantity=quantity)
    return start_checkout(cart=cart, email=email, country=country)


def post_event(client, emu, event: dict, **sign_kwargs):
    """POST one signed event to /stripe/webhook/ through Django's test client."""
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=emu.sign(payload, **sign_kwargs),
    )


@pytest.fixture
def foosfoot(db):
    return ProductFactory(slug="foosfoot", name="FoosFoot", sku="FF-1", price=Decimal("59.00"), stock=10)


@pytest.fixture
def manager():
    """Staff who may view, change and refund orders, and nothing else."""
    user = User.objects.create_user("manager", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_order", "change_order", "refund_order"]))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def paid(stripe_api, foosfoot, mailbox, django_capture_on_commit_callbacks):
    """A paid order of 59.00 USD, its confirmation already in the mailbox (then cleared)."""
    result = checkout(foosfoot)
    session = stripe_api.complete_session(result.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    mailbox.wait_for(1)
    mailbox.clear()
    return Order.objects.get(pk=result.order.pk)
