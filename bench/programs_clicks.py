"""The tracked lesson link's redirect (`/l/<signed>/`, issue 15) in requests per second beside /healthz, on the
production web server (`gunicorn -c python:hodhod.webserver`) and PostgreSQL.

    .venv/bin/python -m bench.programs_clicks [--seconds 2] [--rounds 5] [--clients 6] [--links 2000]

Creates a throw-away PostgreSQL database (`bench_hodhod_clicks`), migrates it and seeds one program with
`--links` sent deliveries (sent an hour ago: every click is a person's), and signs one tracked link per
delivery. Starts gunicorn with the image's configuration on a free 127.0.0.1 port, then runs a bounded load:
`wrk` when installed, else `--clients` Python processes each looping on one keep-alive connection, for
`--seconds` per URL per round, the URLs taking turns over `--rounds` rounds. The link clients walk through the
signed links, so clicks land on many rows as they do after a send (each click is an UPDATE of its row).
Prints the median requests/s of each and the median ratio link/healthz, checks that the clicks recorded in the
database equal the redirects answered, then stops gunicorn and drops the database.
"""

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from bench.common import PG, page_server_env, throwaway_database
from bench.content_pages import free_port, measure_wrk, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "bench_hodhod_clicks"

SEED = """
import json
from datetime import timedelta
from django.utils import timezone
from programs.models import Delivery, Enrollment, Program, Step
from programs.tracking import sign_link
program = Program.objects.create(name="Bench", slug="bench", send_hour=8)
step = Step.objects.create(program=program, day=0, subject="Lesson 1", body="[Drill](https://coach.example/drill)")
sent = timezone.now() - timedelta(hours=1)
enrollments = Enrollment.objects.bulk_create(
    Enrollment(program=program, email=f"reader{{n}}@example.com", origin="signup", timezone="UTC", send_hour=8)
    for n in range({links}))
deliveries = Delivery.objects.bulk_create(
    Delivery(enrollment=e, step=step, due_at=sent, status="sent", sent_at=sent, message_id=f"<{{e.pk}}@bench>")
    for e in enrollments)
print(json.dumps([f"/l/{{sign_link(delivery_id=d.pk, url='https://coach.example/drill?n=' + str(d.pk))}}/"
                  for d in deliveries]))
"""


def server_env(port: int) -> dict[str, str]:
    return page_server_env(DB_NAME, port)


def hammer(args: tuple[int, list[str], int, float]) -> tuple[int, int]:
    """One client: a keep-alive connection, GET the paths in turn until the time is up; (answered, errors)."""
    port, paths, expected, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    done = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            conn.request("GET", paths[(done + errors) % len(paths)])
            response = conn.getresponse()
            response.read()
            if response.status == expected:
                done += 1
            else:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
    conn.close()
    return done, errors


def measure(pool, port: int, paths: list[str], expected: int, clients: int, seconds: float) -> tuple[float, int, int]:
    """(requests/s, answered as expected, errors) over `clients` clients, each with its share of `paths`."""
    if pool is None:  # wrk: one path (it does not walk a list); a 302 is a success for it
        rate, failures = measure_wrk(port, paths[0], clients, seconds)
        return rate, 0, failures
    shares = [paths[n::clients] or paths for n in range(clients)]
    warm = pool.map(hammer, [(port, share, expected, 0.5) for share in shares])
    started = time.perf_counter()
    results = pool.map(hammer, [(port, share, expected, seconds) for share in shares])
    elapsed = time.perf_counter() - started
    done = sum(r[0] for r in results)
    return done / elapsed, done + sum(r[0] for r in warm), sum(r[1] for r in results + warm)


def recorded_clicks() -> int:
    with psycopg.connect(**{**PG, "dbname": DB_NAME}) as conn:
        return conn.execute("SELECT COALESCE(SUM(click_count), 0) FROM programs_delivery").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument(
        "--client", choices=["auto", "wrk", "python"], default="python", help="auto: wrk when installed"
    )
    args = parser.parse_args()

    port = free_port()
    env = server_env(port)
    server = None
    with throwaway_database(DB_NAME):
        try:
            subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            seeded = subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", SEED.format(links=args.links)],
                cwd=ROOT, env=env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            links = json.loads(seeded.stdout.strip().splitlines()[-1])
            server = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", "python:hodhod.webserver", "hodhod.wsgi:application",
                 "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # the access log: one line per request
            )  # fmt: skip
            wait_until_up(port, server)
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            print(
                f"gunicorn -c python:hodhod.webserver ({env.get('WEB_CONCURRENCY', '2')} workers × "
                f"{env.get('WEB_THREADS', '32')} threads), PostgreSQL, {args.clients} keep-alive clients "
                f"({'wrk' if use_wrk else 'Python http.client processes'}), {args.seconds:g}s per URL per round, "
                f"{args.rounds} rounds, {len(links)} tracked links, {os.cpu_count()} CPUs"
            )
            rates: dict[str, list[float]] = {"healthz": [], "link": []}
            ratios: list[float] = []
            redirects = errors = 0
            with (
                contextlib.nullcontext() if use_wrk else multiprocessing.get_context("spawn").Pool(args.clients) as pool
            ):
                for _ in range(args.rounds):
                    rate, _, failed = measure(pool, port, ["/healthz"], 200, args.clients, args.seconds)
                    rates["healthz"].append(rate)
                    errors += failed
                    rate, answered, failed = measure(pool, port, links, 302, args.clients, args.seconds)
                    rates["link"].append(rate)
                    redirects, errors = redirects + answered, errors + failed
                    ratios.append(rates["link"][-1] / rates["healthz"][-1])
            print(f"trivial /healthz         {statistics.median(rates['healthz']):8.1f} req/s")
            print(f"click /l/<signed>/ → 302 {statistics.median(rates['link']):8.1f} req/s")
            print(f"click / healthz = {statistics.median(ratios):.2f} (median of {args.rounds} same-round ratios)")
            print(f"unexpected answers or errors: {errors}")
            if not use_wrk:
                clicks = recorded_clicks()
                print(
                    f"clicks recorded {clicks}, redirects answered {redirects}: {'equal' if clicks == redirects else 'DIFFER'}"
                )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
