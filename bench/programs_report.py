"""A program's report (issue 15) over 1,000,000 deliveries, beside the same report over 10,000.

    .venv/bin/python -m bench.programs_report [--small 10000] [--large 1000000] [--lessons 28] [--runs 5]

Creates a throw-away PostgreSQL database (`bench_hodhod_programs_report`), migrates it and fills two
programs of `--lessons` lessons by SQL `generate_series`: "small" with `--small` deliveries, "large" with
`--large`, in the same tables. Each enrollment (origins 50 % bought, 35 % signup, 10 % member, 5 % staff;
enrolled one after the other over the last 400 days) has a delivery per lesson: sent when its day has come (1 % failed), the rest
scheduled, or cancelled after the person dropped out; of the sent, 1.5 % bounce, the others are delivered,
45 % opened, 8 % clicked, 3 % clicked only by a link scanner, 0.3 % unsubscribe, 0.05 % complain.

Times the queries the report page runs (programs.report: the lessons, the per-lesson aggregate, the funnel)
for three filters — all time, the last 30 days, bought only — as the median of `--runs` runs after a warm-up,
prints the ratio large/small and EXPLAIN (ANALYZE, BUFFERS) of the per-lesson aggregate, then drops the database.
"""

import argparse
import math
import statistics
import sys
import time

import psycopg

from bench.common import PG, configure_django, throwaway_database

DB_NAME = "bench_hodhod_programs_report"

FILL_SQL = """
INSERT INTO programs_enrollment
    (program_id, email, name, origin, timezone, send_hour, status, token, anchor_date, anchor_day,
     created_at, updated_at, confirmed_at)
SELECT %(program)s, %(prefix)s || i || '@example.com', '',
       CASE WHEN i %% 20 < 10 THEN 'order' WHEN i %% 20 < 17 THEN 'signup' WHEN i %% 20 < 19 THEN 'member'
            ELSE 'staff' END,
       'UTC', 8,
       CASE WHEN i %% 10 < 3 THEN 'completed' WHEN i %% 10 = 3 THEN 'unsubscribed' ELSE 'active' END,
       md5(%(prefix)s || i || 'a') || md5(%(prefix)s || i || 'b'), CURRENT_DATE, 0,
       now() - 400 * (%(people)s - i) / %(people)s * interval '1 day' - (i %% 24) * interval '1 hour', now(), now()
FROM generate_series(1, %(people)s::bigint) AS i;

INSERT INTO programs_delivery
    (enrollment_id, step_id, due_at, status, attempts, message_id, last_error, updated_at, sent_at, delivered_at,
     opened_at, clicked_at, click_count, scanner_clicked_at, bounced_at, complained_at, unsubscribed_at)
SELECT eid, sid, due,
       CASE WHEN dropped THEN 'cancelled' WHEN due > now() THEN 'scheduled' WHEN r1 < 0.01 THEN 'failed'
            ELSE 'sent' END,
       1, '', '', now(), sent,
       CASE WHEN r2 >= 0.015 THEN sent + interval '1 minute' END,
       CASE WHEN r2 >= 0.015 AND r3 < 0.45 THEN sent + interval '2 hours' END,
       CASE WHEN r2 >= 0.015 AND r4 < 0.08 THEN sent + interval '3 hours' END,
       CASE WHEN r2 >= 0.015 AND r4 < 0.11 THEN 1 ELSE 0 END,
       CASE WHEN r2 >= 0.015 AND r4 >= 0.08 AND r4 < 0.11 THEN sent + interval '5 seconds' END,
       CASE WHEN r2 < 0.015 THEN sent + interval '2 minutes' END,
       CASE WHEN r2 >= 0.015 AND r2 < 0.0155 THEN sent + interval '1 day' END,
       CASE WHEN r2 >= 0.02 AND r2 < 0.023 THEN sent + interval '4 hours' END
FROM (
    SELECT eid, sid, due, dropped, r1, r2, r3, r4,
           CASE WHEN NOT dropped AND due <= now() AND r1 >= 0.01 THEN due + interval '30 seconds' END AS sent
    FROM (
        SELECT e.id AS eid, s.id AS sid, e.created_at + s.day * interval '1 day' AS due,
               -- 60 %% stay to the end, the others drop out after a lesson of their own
               s.day > CASE WHEN e.id %% 5 < 3 THEN 10000 ELSE (e.id * 31) %% %(lessons)s END AS dropped,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4
        FROM programs_enrollment e JOIN programs_step s ON s.program_id = e.program_id
        WHERE e.program_id = %(program)s
    ) AS drawn
) AS timed
ORDER BY eid, sid  -- as the enrollments came: each one's lessons are written when it starts
"""


def _fill(raw, *, program: int, prefix: str, people: int, lessons: int) -> None:
    with raw.cursor() as cursor:
        cursor.execute("SELECT setseed(0.15)")
        for statement in filter(str.strip, FILL_SQL.split(";\n")):
            cursor.execute(statement, {"program": program, "prefix": prefix, "people": people, "lessons": lessons})
        cursor.execute("VACUUM ANALYZE programs_delivery")
        cursor.execute("VACUUM ANALYZE programs_enrollment")


def _program(name: str, lessons: int):
    from programs.models import Program, Step

    program = Program.objects.create(name=name, slug=name)
    Step.objects.bulk_create(
        Step(program=program, day=day, subject=f"Lesson {day + 1}", body="x") for day in range(lessons)
    )
    return program


def _filters():
    import datetime as dt

    from django.utils import timezone

    from programs.models import Enrollment
    from programs.report import ReportFilters

    return {
        "all time": ReportFilters(),
        "last 30 days": ReportFilters(since=timezone.now() - dt.timedelta(days=30)),
        "bought only": ReportFilters(origin=Enrollment.Origin.ORDER),
    }


def _time_report(program, filters, runs: int) -> tuple[float, int, int]:
    """(median seconds, queries, deliveries sent) of the report's queries, after one warm-up run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.report import completion_funnel, lesson_rows

    timings = []
    for _ in range(runs + 1):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = lesson_rows(program, filters)
            completion_funnel(program, filters, rows)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings[1:]), len(captured.captured_queries), sum(row.sent for row in rows)


def _explain_aggregate(program, filters) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.report import lesson_rows

    with CaptureQueriesContext(connection) as captured:
        lesson_rows(program, filters)
    aggregate = next(q["sql"] for q in captured.captured_queries if "FILTER" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) " + aggregate)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--lessons", type=int, default=28)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with throwaway_database(DB_NAME) as url:
        configure_django(DATABASE_URL=url)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        raw = psycopg.connect(**{**PG, "dbname": DB_NAME}, autocommit=True)
        programs = {}
        for label, deliveries in (("small", args.small), ("large", args.large)):
            programs[label] = _program(label, args.lessons)
            people = math.ceil(deliveries / args.lessons)
            started = time.perf_counter()
            _fill(raw, program=programs[label].pk, prefix=label, people=people, lessons=args.lessons)
            print(f"{label}: {people:,} enrollments, {people * args.lessons:,} deliveries "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        raw.close()
        connection.close()

        print(f"\nthe report's queries, median of {args.runs} runs:")
        worst = 0.0
        for name, filters in _filters().items():
            measured = {label: _time_report(program, filters, args.runs) for label, program in programs.items()}
            (small, queries, small_sent), (large, _, large_sent) = measured["small"], measured["large"]
            worst = max(worst, large)
            print(
                f"  {name:<13} large {large * 1000:7.1f} ms ({large_sent:,} sent) · small {small * 1000:6.1f} ms "
                f"({small_sent:,} sent) · ratio {large / small:6.1f} · {queries} queries"
            )
        print("\nper-lesson aggregate, large program, last 30 days (PostgreSQL EXPLAIN ANALYZE):")
        print(_explain_aggregate(programs["large"], _filters()["last 30 days"]))
        print("\nper-lesson aggregate, large program, all time:")
        print(_explain_aggregate(programs["large"], _filters()["all time"]))
        connection.close()
        print(f"\nslowest report over {args.large:,} deliveries: {worst * 1000:.0f} ms (goal ≤ 1000 ms)")
        return 0 if worst <= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
