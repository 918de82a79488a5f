"""Dispatch pass time with 10,000 vs 1,000,000 enrollments and the same 10,000 due lessons.

    .venv/bin/python -m bench.programs_dispatch [--small 10000] [--large 1000000] [--due 10000] [--runs 3]

Creates a throw-away PostgreSQL database (`bench_hodhod_programs`), migrates it, and
fills it with SQL `generate_series` (each enrollment has one sent and one scheduled
delivery; `--due` of the scheduled ones are due now, the rest in the next weeks).
Times `programs.dispatch.dispatch_due_deliveries` (reaper + claim in batches of 500
with SELECT … FOR UPDATE SKIP LOCKED + UPDATE, the exact code the beat tick runs;
the send tasks' enqueueing is replaced by a no-op so the broker is not measured),
first with `--small` enrollments, then after growing the tables to `--large`.
Prints the median of `--runs` passes, the ratio (goal ≤ 1.2) and the claim
query's EXPLAIN ANALYZE, then drops the database.
"""

import argparse
import statistics
import sys
import time

import psycopg

from bench.common import PG, configure_django, throwaway_database

DB_NAME = "bench_hodhod_programs"


FILL_SQL = """
INSERT INTO programs_enrollment
    (program_id, email, name, origin, timezone, send_hour, status, token, anchor_date, anchor_day,
     created_at, updated_at, confirmed_at)
SELECT %(program)s, 'bench' || i || '@example.com', '', 'staff', 'Europe/Berlin', 8, 'active',
       md5(i::text || 'a') || md5(i::text || 'b'), CURRENT_DATE, 0, now(), now(), now()
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i;

INSERT INTO programs_delivery (enrollment_id, step_id, due_at, status, attempts, message_id, last_error, updated_at, sent_at)
SELECT e.id, %(step0)s, now() - interval '1 day', 'sent', 1, '<m' || e.id || '@bench>', '', now(), now() - interval '1 day'
FROM programs_enrollment e WHERE e.id BETWEEN %(first_id)s AND %(last_id)s;

INSERT INTO programs_delivery (enrollment_id, step_id, due_at, status, attempts, message_id, last_error, updated_at)
SELECT e.id, %(step1)s,
       CASE WHEN e.id < %(due_below)s::bigint THEN now() - interval '1 hour'
            ELSE now() + (1 + e.id %% 28) * interval '1 day' END,
       'scheduled', 0, '', '', now()
FROM programs_enrollment e WHERE e.id BETWEEN %(first_id)s AND %(last_id)s;
"""


def _fill(cursor, *, program: int, steps: tuple[int, int], first: int, last: int, due_below: int) -> None:
    cursor.execute("SELECT COALESCE(max(id), 0) FROM programs_enrollment")
    start_id = cursor.fetchone()[0] + 1
    params = {
        "program": program,
        "first": first,
        "last": last,
        "step0": steps[0],
        "step1": steps[1],
        "first_id": start_id,
        "last_id": start_id + (last - first),
        "due_below": due_below,
    }
    cursor.execute("SET session_replication_role = replica")  # bulk load: skip the FK triggers
    for statement in filter(str.strip, FILL_SQL.split(";\n")):
        cursor.execute(statement, params)
    cursor.execute("SET session_replication_role = DEFAULT")


def _reset_due(raw) -> None:
    """Put the due rows back to `scheduled` and vacuum, so every pass starts from the same state."""
    with raw.cursor() as cursor:
        cursor.execute("UPDATE programs_delivery SET status = 'scheduled', claimed_at = NULL WHERE status = 'sending'")
        cursor.execute("VACUUM ANALYZE programs_delivery")
        cursor.execute("VACUUM ANALYZE programs_enrollment")


def _time_passes(raw, runs: int, due: int) -> list[float]:
    from programs.dispatch import dispatch_due_deliveries

    timings = []
    warm_up = 2  # the first passes after a bulk load warm the caches (and set hint bits): not counted
    for _ in range(runs + warm_up):
        _reset_due(raw)
        started = time.perf_counter()
        claimed = dispatch_due_deliveries(enqueue=lambda ids: None)
        timings.append(time.perf_counter() - started)
        assert claimed == due, f"claimed {claimed}, expected {due}"
    return timings[warm_up:]


def _explain_claim() -> str:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from programs.dispatch import claim_due_deliveries

    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        claim_due_deliveries(now=timezone.now())
        transaction.set_rollback(True)
    claim_sql = next(q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + claim_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return f"{claim_sql}\n{plan}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with throwaway_database(DB_NAME) as url:
        configure_django(DATABASE_URL=url)
        from django.core.management import call_command
        from django.db import connection

        from programs.models import Program, Step

        call_command("migrate", verbosity=0)
        program = Program.objects.create(name="Bench", slug="bench")
        steps = (Step.objects.create(program=program, day=0, subject="0", body="x").pk,
                 Step.objects.create(program=program, day=1, subject="1", body="x").pk)  # fmt: skip
        raw = psycopg.connect(**{**PG, "dbname": DB_NAME}, autocommit=True)

        results, fastest = {}, {}
        filled = 0
        for size in (args.small, args.large):
            started = time.perf_counter()
            with raw.cursor() as cursor:
                _fill(cursor, program=program.pk, steps=steps, first=filled + 1, last=size, due_below=args.due + 1)
            filled = size
            print(f"filled to {size:,} enrollments ({2 * size:,} deliveries) in {time.perf_counter() - started:.1f} s")
            connection.close()
            timings = _time_passes(raw, args.runs, args.due)
            results[size] = statistics.median(timings)
            fastest[size] = min(timings)
            print(f"  dispatch pass, {args.due:,} due: " + ", ".join(f"{t * 1000:.0f} ms" for t in timings))
        _reset_due(raw)
        explain = _explain_claim()
        raw.close()
        connection.close()

        ratio = results[args.large] / results[args.small]
        print()
        for size in (args.small, args.large):
            print(
                f"enrollments {size:>9,}: median pass {results[size] * 1000:.0f} ms "
                f"(fastest {fastest[size] * 1000:.0f} ms), {args.due / results[size]:,.0f} deliveries claimed/s"
            )
        print(f"ratio large/small: {ratio:.2f} (goal ≤ 1.2) {'OK' if ratio <= 1.2 else 'ABOVE GOAL'}")
        print("\nclaim query and its plan (PostgreSQL EXPLAIN ANALYZE):")
        print(explain)
        assert "delivery_due_scheduled" in explain, "the claim does not use the partial index"
        return 0 if ratio <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
