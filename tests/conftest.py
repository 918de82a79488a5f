"""Fixtures shared by the whole suite. Servers are real: PostgreSQL (the test
database), Redis, the Stripe emulator, an SMTP sink, a Celery worker."""

import pytest


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
