"""The structure change moved two tables between apps; their rows move with them, times kept."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import Suppression
from payments.models import StripeEvent

BEFORE_THE_MOVE = [
    ("programs", "0004_enrollment_email_case_insensitive_index"),
    ("shop", "0004_delete_stale_carts_daily"),
]
WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_suppressions_and_stripe_events_move_with_their_rows_and_times():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE_THE_MOVE)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO programs_suppression (email, reason, source, created_at) VALUES (%s, %s, %s, %s)",
                ["gone@example.com", "hard_bounce", "ses 1", WHEN],
            )
            cursor.execute(
                "INSERT INTO shop_stripeevent (id, type, payload, state, payment_intent_id, received_at, attempts,"
                " last_error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                ["evt_1", "charge.refunded", '{"id": "evt_1"}', "deferred", "pi_1", WHEN, 1, ""],
            )
        _migrate(latest)
        suppression = Suppression.objects.get()
        assert (suppression.email, suppression.reason, suppression.created_at) == (
            "gone@example.com",
            "hard_bounce",
            WHEN,
        )
        event = StripeEvent.objects.get()
        assert (event.id, event.state, event.payment_intent_id, event.received_at) == (
            "evt_1",
            "deferred",
            "pi_1",
            WHEN,
        )
        assert event.payload == {"id": "evt_1"}
    finally:
        _migrate(latest)
