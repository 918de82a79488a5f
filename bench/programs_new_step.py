"""Time to add, move and delete one lesson of a program with 100,000 running enrollments.

    .venv/bin/python -m bench.programs_new_step [--enrollments 100000]

Creates a throw-away PostgreSQL database (`bench_hodhod_programs_step`), migrates it and
fills one program with `--enrollments` enrollments by SQL `generate_series`: 90 % active and
10 % paused, in five time zones, send hours 6–9, anchored over the last two weeks (plus 1,000
completed ones that must get nothing). Then, through the ORM exactly as the admin does
(`post_save` / `pre_delete` on Step → programs.scheduling; the pass a worker runs for a program
this big is run inline here), it adds a lesson, moves it to another day and deletes it, printing the wall time, the number of SQL queries and the
delivery rows each step produced. Drops the database at the end.
"""

import argparse
import sys
import time

import psycopg

from bench.common import PG, configure_django, throwaway_database

DB_NAME = "bench_hodhod_programs_step"

FILL_SQL = """
INSERT INTO programs_enrollment
    (program_id, email, name, origin, timezone, send_hour, status, token, anchor_date, anchor_day,
     created_at, updated_at, confirmed_at, paused_at)
SELECT %(program)s, 'bench' || i || '@example.com', '', 'staff',
       (ARRAY['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'UTC'])[1 + i %% 5],
       (6 + i %% 4)::int,
       CASE WHEN i %% 10 = 0 THEN 'paused' ELSE 'active' END,
       md5(i::text || 'a') || md5(i::text || 'b'), CURRENT_DATE - (i %% 14)::int, 0, now(), now(), now(),
       CASE WHEN i %% 10 = 0 THEN now() - interval '1 day' END
FROM generate_series(1, %(count)s::bigint) AS i;

INSERT INTO programs_enrollment
    (program_id, email, name, origin, timezone, send_hour, status, token, anchor_date, anchor_day,
     created_at, updated_at, confirmed_at)
SELECT %(program)s, 'done' || i || '@example.com', '', 'staff', 'UTC', 8, 'completed',
       md5(i::text || 'c') || md5(i::text || 'd'), CURRENT_DATE - 60, 0, now(), now(), now()
FROM generate_series(1, 1000) AS i;
"""


def _measure(label: str, action) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.models import Delivery

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
    rows = Delivery.objects.filter(step__day__gte=20).values_list("status").order_by()
    statuses = {}
    for (status,) in rows:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{label:<34} {elapsed:6.2f} s  {len(captured.captured_queries):4d} queries  rows now: {statuses}")
    by_kind = {}
    for query in captured.captured_queries:
        kind = query["sql"][:60]
        by_kind[kind] = by_kind.get(kind, 0) + float(query["time"])
    for kind, seconds in sorted(by_kind.items(), key=lambda item: -item[1])[:3]:
        print(f"    {seconds:6.2f} s in SQL  {kind}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrollments", type=int, default=100_000)
    args = parser.parse_args()

    with throwaway_database(DB_NAME) as url:
        configure_django(DATABASE_URL=url)
        from django.core.management import call_command

        from programs.models import Program, Step

        call_command("migrate", verbosity=0)
        program = Program.objects.create(name="Bench", slug="bench", send_weekdays=[0, 1, 2, 3, 4])
        with psycopg.connect(**{**PG, "dbname": DB_NAME}, autocommit=True) as raw:
            for statement in filter(str.strip, FILL_SQL.split(";\n")):
                raw.execute(statement, {"program": program.pk, "count": args.enrollments})
            raw.execute("VACUUM ANALYZE programs_enrollment")
        print(f"{args.enrollments:,} running enrollments (+1,000 completed) in one program")

        from programs import scheduling

        scheduling.INLINE_STEP_ENROLLMENTS = 10**9  # measure the pass itself here, not the hand-off to a worker
        holder = {}

        def add():
            holder["step"] = Step.objects.create(program=program, day=20, subject="Added", body="x")

        def move():
            step = Step.objects.get(pk=holder["step"].pk)
            step.day = 25
            step.save()

        def delete():
            Step.objects.get(pk=holder["step"].pk).delete()

        _measure("add a lesson (day 20)", add)
        _measure("save it unchanged (no pass)", lambda: Step.objects.get(pk=holder["step"].pk).save())
        _measure("move it to day 25", move)
        _measure("delete it", delete)
        return 0


if __name__ == "__main__":
    sys.exit(main())
