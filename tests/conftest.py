"""Fixtures shared by the whole suite. Servers are real: PostgreSQL (the test
database), Redis, the Stripe emulator, an SMTP sink, a Celery worker.

Each kind of fixture lives in its own module under tests/fixtures/.
"""

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
