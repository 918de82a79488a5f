"""Requests per second of the blog article page and /faq/ beside /healthz, under gunicorn on PostgreSQL.

    .venv/bin/python -m bench.content_pages [--seconds 2] [--rounds 5] [--clients 6] [--workers 3] [--client auto]

Creates a throw-away PostgreSQL database, migrates and seeds it (the demo article
and FAQ plus 50 more articles), starts gunicorn on 127.0.0.1 (a free port, 3 sync
workers as in the Dockerfile), then runs a bounded load per URL against
127.0.0.1 only: `wrk` (Debian's package) with `--clients` connections when it is
installed, else `--clients` Python processes each looping on one keep-alive
http.client connection, for `--seconds`; URLs take turns over `--rounds` rounds. Prints the median
requests/s per URL and its median ratio to /healthz (goal: article ≥ 0.5×
healthz), then stops gunicorn and drops the database.
"""

import argparse
import contextlib
import http.client
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import database_url, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "bench_hodhod_content"

URLS = [
    ("trivial /healthz", "/healthz"),
    ("article /blog/<slug>/", "/blog/weak-feet-and-back-pain/"),
    ("faq /faq/", "/faq/"),
    ("blog list /blog/", "/blog/"),
    ("api /api/articles/", "/api/articles/"),
]

SEED = """
from datetime import timedelta
from django.utils import timezone
from content.demo import seed_demo
from content.models import Article, Tag
seed_demo()
tags = list(Tag.objects.all())
for n in range(50):
    a = Article.objects.create(
        title=f"Bench article {n}", summary="A summary for the benchmark.",
        body_markdown="## Heading\\n\\n" + "Some words about feet and backs. " * 150,
        status="published", published_at=timezone.now() - timedelta(days=n + 2), author_name="Bench")
    a.tags.add(*tags)
print(Article.objects.count(), "articles")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(DB_NAME),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/3"),
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",  # nothing here sends mail
    }


def hammer(args: tuple[int, str, float]) -> tuple[int, int]:
    """One client: a keep-alive connection, GET in a loop until the time is up."""
    port, path, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    done = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                done += 1
            else:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
    conn.close()
    return done, errors


def measure_wrk(port: int, path: str, clients: int, seconds: float) -> tuple[float, int]:
    """The same bounded load from `wrk` (one thread, `clients` connections): a client in C
    takes less of the CPUs the server shares with it than Python processes do."""
    url = f"http://127.0.0.1:{port}{path}"
    subprocess.run(["wrk", "-t1", f"-c{clients}", "-d1s", url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", url], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failures = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return rate, failures


def measure(pool, port: int, path: str, clients: int, seconds: float) -> tuple[float, int]:
    if pool is None:
        return measure_wrk(port, path, clients, seconds)
    pool.map(hammer, [(port, path, 0.5)] * clients)  # warm-up: connections, caches, imports
    started = time.perf_counter()
    results = pool.map(hammer, [(port, path, seconds)] * clients)
    elapsed = time.perf_counter() - started
    return sum(r[0] for r in results) / elapsed, sum(r[1] for r in results)


def wait_until_up(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--client", choices=["auto", "wrk", "python"], default="auto", help="auto: wrk when installed (apt install wrk)"
    )
    args = parser.parse_args()

    port = free_port()
    env = server_env(port)
    server = None
    with throwaway_database(DB_NAME):
        try:
            subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            subprocess.run([PYTHON, "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)
            server = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "hodhod.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(args.workers), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wait_until_up(port, server)
            print(
                f"gunicorn {args.workers} sync workers, PostgreSQL, {args.clients} keep-alive clients, "
                f"{args.seconds:g}s per URL per round, {args.rounds} rounds, {os.cpu_count()} CPUs"
            )
            # URLs take turns, round after round, so a change in machine load hits them alike;
            # each figure is the median over rounds, each ratio the median of same-round ratios.
            rates: dict[str, list[float]] = {label: [] for label, _ in URLS}
            ratios: dict[str, list[float]] = {label: [] for label, _ in URLS}
            failures = 0
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            print(f"client: {'wrk' if use_wrk else 'Python http.client processes'}")
            with (
                contextlib.nullcontext() if use_wrk else multiprocessing.get_context("spawn").Pool(args.clients) as pool
            ):
                for _ in range(args.rounds):
                    for label, path in URLS:
                        rate, errors = measure(pool, port, path, args.clients, args.seconds)
                        rates[label].append(rate)
                        failures += errors
                    for label, _ in URLS:
                        ratios[label].append(rates[label][-1] / rates[URLS[0][0]][-1])
            for label, _ in URLS:
                print(
                    f"{label:24} {statistics.median(rates[label]):8.1f} req/s   "
                    f"ratio {statistics.median(ratios[label]):5.2f}"
                )
            article = statistics.median(ratios[URLS[1][0]])
            print(f"non-200 answers or errors: {failures}")
            print(f"article / trivial = {article:.2f} (goal >= 0.50: {'met' if article >= 0.5 else 'NOT met'})")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
