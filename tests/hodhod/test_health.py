import json

import pytest


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise instead of answering.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["database"] == "postgresql"
    assert body["broker"] == "redis"


@pytest.mark.django_db
def test_readyz_is_503_with_a_reason_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "broker unreachable" in json.loads(response.content)["reasons"][0]
