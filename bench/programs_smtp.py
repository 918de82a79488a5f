"""Lessons per second through the real send path beside a plain smtplib loop, same SMTP sink, same run.

    .venv/bin/python -m bench.programs_smtp [--count 500] [--rounds 5]

Starts an aiosmtpd sink (the tests' `SmtpSink`) on a free local port in its own
process, so it does not compete with the sender for the GIL, creates a throw-away
PostgreSQL database (`bench_hodhod_smtp`) with `--count` enrollments, each with one
claimed (`sending`) lesson and one scheduled for later, then sends the claimed
lessons three ways, rounds interleaved so a busy moment hits every variant alike:

1. `programs.dispatch.deliver_batch` over chunks of `programs.tasks.SEND_CHUNK`
   ids, exactly what a worker's send task runs (lock each row, re-check it, render,
   apply the suppression list, send over the chunk's one SMTP connection, record);
2. `programs.dispatch.deliver` per lesson, each with a connection of its own (what
   one send task per lesson did before issue 16; on a quarter of the lessons);
3. a plain `smtplib` loop sending one real lesson's bytes over one session (the
   floor: only the SMTP conversation).

Prints each median (of `--rounds`) and the ratio of (1) to (3); exits 1 below 0.6.
`--profile` prints where (1) spends its time (cProfile, one round).
"""

import argparse
import cProfile
import multiprocessing
import pstats
import smtplib
import statistics
import sys
import time

from bench.common import configure_django, throwaway_database

DB_NAME = "bench_hodhod_smtp"
GOAL = 0.6


def _run_sink(port_queue, stop_event, count) -> None:
    import logging

    from bench.smtp_sink import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    port_queue.put(sink.port)
    stop_event.wait()
    count.value = len(sink.collector.raw)
    port_queue.put(b"")
    sink.stop()


def _fill(count: int) -> list[int]:
    """`count` enrollments, each with its day-3 lesson claimed now and its day-4 lesson later; the claimed ids."""
    import datetime as dt

    from django.utils import timezone

    from programs import demo
    from programs.models import Delivery, Enrollment, Program, Step

    program = Program.objects.create(name="FoosFoot Foundations", slug="foosfoot-foundations")
    steps = []
    for day in (3, 4):
        subject, why, drills = demo.FOUNDATIONS[day]
        steps.append(Step.objects.create(program=program, day=day, subject=subject, body=demo._body(why, drills)))
    today = timezone.localdate()
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(
            program=program,
            email=f"reader{n}@example.com",
            name=f"Reader {n}",
            origin=Enrollment.Origin.ORDER,
            timezone="Europe/Berlin",
            send_hour=8,
            anchor_date=today,
            confirmed_at=timezone.now(),
        )
        for n in range(count)
    )
    now = timezone.now()
    claimed = Delivery.objects.bulk_create(
        Delivery(enrollment=e, step=steps[0], due_at=now, status=Delivery.Status.SENDING, claimed_at=now)
        for e in enrollments
    )
    Delivery.objects.bulk_create(
        Delivery(enrollment=e, step=steps[1], due_at=now + dt.timedelta(days=1)) for e in enrollments
    )
    return [delivery.pk for delivery in claimed]


def _reclaim(ids: list[int]) -> None:
    """The lessons sent by a round are claimed again, as a dispatch pass leaves them."""
    from django.utils import timezone

    from programs.models import Delivery

    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.SENDING, claimed_at=timezone.now(), attempts=0, message_id="", sent_at=None
    )


def _lesson_bytes(delivery_id: int) -> bytes:
    """One real lesson as the sink received it over the wire (sent through the locmem backend here)."""
    from django.core import mail
    from django.test.utils import override_settings

    from programs import dispatch

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        mail.outbox = []
        assert dispatch.deliver(delivery_id=delivery_id, final_attempt=True) is dispatch.Outcome.SENT
        return mail.outbox[0].message().as_bytes(linesep="\r\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    count, fresh = args.count, max(args.count // 4, 1)

    port_queue, stop_event, received = multiprocessing.Queue(), multiprocessing.Event(), multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_run_sink, args=(port_queue, stop_event, received), daemon=True)
    sink.start()
    port = port_queue.get(timeout=20)
    try:
        with throwaway_database(DB_NAME) as url:
            configure_django(
                DATABASE_URL=url,
                SITE_URL="https://shop.hodhod.example",
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(port),
                EMAIL_USE_TLS="0",
            )
            from django.core.management import call_command

            from programs import dispatch, tasks

            call_command("migrate", verbosity=0)
            ids = _fill(count)
            raw = _lesson_bytes(ids[0])
            _reclaim(ids)

            def never_retried(delivery_id: int, countdown: float) -> None:
                raise AssertionError(f"delivery {delivery_id} failed: the sink refused it")

            def dispatch_batches() -> float:
                started, cpu = time.perf_counter(), time.process_time()
                for start in range(0, count, tasks.SEND_CHUNK):
                    outcomes = dispatch.deliver_batch(
                        delivery_ids=ids[start : start + tasks.SEND_CHUNK], retry_later=never_retried
                    )
                    assert set(outcomes) == {dispatch.Outcome.SENT}, outcomes
                elapsed = time.perf_counter() - started
                cpu_ms.append((time.process_time() - cpu) * 1000 / count)
                _reclaim(ids)
                return count / elapsed

            def dispatch_connection_per_lesson() -> float:
                started = time.perf_counter()
                for delivery_id in ids[:fresh]:
                    assert dispatch.deliver(delivery_id=delivery_id) is dispatch.Outcome.SENT
                elapsed = time.perf_counter() - started
                _reclaim(ids[:fresh])
                return fresh / elapsed

            def plain_smtplib() -> float:
                started, cpu = time.perf_counter(), time.process_time()
                with smtplib.SMTP("127.0.0.1", port) as client:
                    for n in range(count):
                        client.sendmail("coach@hodhod.example", [f"reader{n}@example.com"], raw)
                smtplib_cpu_ms.append((time.process_time() - cpu) * 1000 / count)
                return count / (time.perf_counter() - started)

            cpu_ms, smtplib_cpu_ms = [], []  # the sender's own CPU per lesson: what is not waiting
            runs = {
                "dispatch, one connection per task of 50": dispatch_batches,
                "dispatch, a connection per lesson": dispatch_connection_per_lesson,
                "plain smtplib, one session": plain_smtplib,
            }
            dispatch_batches()  # warm up: templates compiled, the tables in cache, the first connection
            rates: dict[str, list[float]] = {name: [] for name in runs}
            for _ in range(args.rounds):
                for name, run in runs.items():
                    rates[name].append(run())
            if args.profile:
                profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
                profiler.runcall(dispatch_batches)
                for order in ("cumulative", "tottime"):
                    pstats.Stats(profiler).sort_stats(order).print_stats(30)
    finally:
        stop_event.set()
        port_queue.get(timeout=20)
        sink.join(20)
    expected = count + args.rounds * (2 * count + fresh) + (count if args.profile else 0)  # warm-up, rounds, profile
    assert received.value == expected, f"sink received {received.value}, expected {expected}"

    results = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"lesson size: {len(raw):,} bytes; {count:,} lessons per run (per-lesson run: {fresh:,}), {args.rounds} rounds"
    )
    for name, values in rates.items():
        print(f"  {name:<42} {results[name]:8.0f} lessons/s (rounds: {', '.join(f'{v:.0f}' for v in values)})")
    print(
        f"sender CPU per lesson: dispatch {statistics.median(cpu_ms):.2f} ms, "
        f"plain smtplib {statistics.median(smtplib_cpu_ms):.2f} ms"
    )
    ratio = results["dispatch, one connection per task of 50"] / results["plain smtplib, one session"]
    print(f"ratio dispatch (one connection per task) / plain smtplib: {ratio:.2f} (goal ≥ {GOAL})")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
