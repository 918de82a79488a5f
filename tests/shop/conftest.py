"""Helpers for the shop tests: build a checked-out order through the real services and the emulator."""

import json
from decimal import Decimal

import pytest

from shop.carts import add_to_cart, create_cart
from shop.checkout import start_checkout
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
