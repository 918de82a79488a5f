"""Fixtures shared by the whole suite. Servers are real: PostgreSQL (the test
database), Redis, the Stripe emulator, an SMTP sink, a Celery worker.

Each kind of fixture lives in its own module under tests/fixtures/.
"""

from types import SimpleNamespace

import pytest

pytest_plugins = [
    "tests.fixtures.stripe",  # the local Stripe emulator over HTTP
    "tests.fixtures.mail",  # a real SMTP sink (aiosmtpd)
    "tests.fixtures.celery",  # a real Celery worker on Redis
    "tests.fixtures.browser",  # headless Chromium through Playwright
]


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _stock_pages_rendered_afresh():
    """The home and product pages are cached up to 5 s under a generation that saves move
    (shop.page_cache); a test's rows vanish by rollback, which moves nothing: a new generation each test."""
    from shop.page_cache import new_pages_generation

    new_pages_generation()


@pytest.fixture(autouse=True)
def _stripe_events_applied_in_the_request(settings):
    """Production stores a webhook's event and lets a Celery worker apply it (STRIPE_WEBHOOK_APPLY=worker);
    most tests post an event and look at its effects at once, with no worker running, so they apply it in
    the request: the same `payments.events` code, run before the answer. tests/payments/test_issue16_webhook_worker.py
    runs the worker mode end to end on a real worker."""
    settings.STRIPE_WEBHOOK_APPLY = "request"


@pytest.fixture
def stock_seconds_pass(monkeypatch):
    """stock_seconds_pass(): the local-memory cache's clock (only the cache's) moves on by STOCK_SECONDS, the
    longest a page cache keeps stock or a content version: whatever was cached before has expired."""
    from django.core.cache.backends import locmem

    from shop.page_cache import STOCK_SECONDS

    def move_on() -> None:
        now = locmem.time.time
        monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: now() + STOCK_SECONDS))

    return move_on
