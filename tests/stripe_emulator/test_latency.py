"""Issue 16, item 1: `--latency SECONDS` (and `StripeEmulator(latency=…)`) makes every API answer take as
long as Stripe's round trip does, for benchmarks; the hosted pages and webhook deliveries do not wait."""

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe
from django.conf import settings

from stripe_emulator import StripeEmulator

from .support import SECRET_KEY, WebhookReceiver, fetch
from .test_emulator import session_params

LATENCY = 0.3


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


@pytest.fixture
def slow_stripe():
    with StripeEmulator(webhook_secret=settings.STRIPE_WEBHOOK_SECRET, latency=LATENCY) as emulator:
        yield emulator


def test_every_api_call_takes_at_least_the_latency(slow_stripe):
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": slow_stripe.base_url})
    session, created_in = timed(lambda: client.v1.checkout.sessions.create(params=session_params()))
    _, retrieved_in = timed(lambda: client.v1.checkout.sessions.retrieve(session.id))
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.retrieve("cs_test_nothing")  # a refusal waits as long as an answer
    assert created_in >= LATENCY and retrieved_in >= LATENCY
    assert slow_stripe.latency == LATENCY


def test_calls_wait_side_by_side_not_in_turn(slow_stripe):
    """Eight calls at once take about one latency, not eight: a benchmark's concurrency is the server's."""
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": slow_stripe.base_url})
    client.v1.customers.list()  # the connection pool, warm
    with ThreadPoolExecutor(8) as pool:
        _, elapsed = timed(lambda: list(pool.map(lambda _: client.v1.customers.list(), range(8))))
    assert LATENCY <= elapsed < 4 * LATENCY


def test_the_hosted_pages_and_webhook_deliveries_do_not_wait(slow_stripe):
    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": slow_stripe.base_url})
    session = client.v1.checkout.sessions.create(params=session_params())
    receiver = WebhookReceiver()
    slow_stripe.webhook_url = receiver.url
    try:
        (status, _, _), page_in = timed(lambda: fetch(session.url))
        assert status == 200 and page_in < LATENCY
        _, delivered_in = timed(lambda: (slow_stripe.complete_session(session.id), receiver.wait_for(1)))
        assert delivered_in < LATENCY
    finally:
        slow_stripe.webhook_url = None
        receiver.close()


def test_no_latency_by_default_and_never_negative():
    assert StripeEmulator().latency == 0
    with pytest.raises(ValueError, match="latency"):
        StripeEmulator(latency=-1)


def test_the_command_line_takes_a_latency():
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--quiet", "--latency", str(LATENCY)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline()).group(0)
        (status, _, _), health_in = timed(lambda: fetch(f"{base_url}/health"))
        assert status == 200 and health_in < LATENCY
        headers = {"Authorization": f"Bearer {SECRET_KEY}"}
        (status, _, _), api_in = timed(lambda: fetch(f"{base_url}/v1/customers", headers=headers))
        assert status == 200 and api_in >= LATENCY
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
