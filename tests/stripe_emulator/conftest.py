"""Fixtures of the emulator's tests: a webhook receiver and a stripe client on the emulator."""

import pytest
import stripe

from .support import SECRET_KEY, WebhookReceiver


@pytest.fixture
def receiver(stripe_api):
    webhook = WebhookReceiver()
    stripe_api.webhook_url = webhook.url
    yield webhook
    stripe_api.webhook_url = None
    webhook.close()


@pytest.fixture
def client(stripe_api):
    return stripe.StripeClient(
        SECRET_KEY,
        base_addresses={"api": stripe_api.base_url},
        stripe_version=stripe.api_version,
        max_network_retries=2,
    )
