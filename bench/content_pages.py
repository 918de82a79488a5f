"""Requests per second of the pages a visitor hits first, and their API twins, beside /healthz, on the
production server (issue 16).

    .venv/bin/python -m bench.content_pages [--seconds 2] [--rounds 5] [--clients 6] [--workers 2]
        [--threads 4] [--client auto]

Creates a throw-away PostgreSQL database, migrates and seeds it (the shop's and the blog's demo data
plus 50 more articles), starts the image's web command, `gunicorn -c python:hodhod.webserver
hodhod.wsgi:application`, on 127.0.0.1 (a free port; WEB_CONCURRENCY=--workers, WEB_THREADS=--threads,
small and fixed so runs compare), then runs a bounded load per URL against 127.0.0.1 only: `wrk`
(Debian's package) with `--clients` connections when it is installed, else `--clients` Python processes
each looping on one keep-alive http.client connection, for `--seconds`, as an anonymous visitor (no
cookies); URLs take turns over `--rounds` rounds. Prints the median requests/s per URL and its median
ratio to /healthz of the same round, with the goals (anonymous home, product, article, FAQ ≥ 0.5×
healthz; /api/products/ and /api/articles/ ≥ 0.4×); exits 1 when one is missed or an answer was not a
200. Then stops gunicorn and drops the database.
"""

import argparse
import contextlib
import http.client
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import free_port, page_server_env, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "bench_hodhod_content"

URLS = [
    ("trivial /healthz", "/healthz"),
    ("home /", "/"),
    ("product /shop/foosfoot/", "/shop/foosfoot/"),
    ("article /blog/<slug>/", "/blog/weak-feet-and-back-pain/"),
    ("faq /faq/", "/faq/"),
    ("blog list /blog/", "/blog/"),
    ("api /api/products/", "/api/products/"),
    ("api /api/articles/", "/api/articles/"),
]
# The least share of /healthz's requests/s each page must reach (issue 16's goals).
GOALS = {
    "home /": 0.5,
    "product /shop/foosfoot/": 0.5,
    "article /blog/<slug>/": 0.5,
    "faq /faq/": 0.5,
    "api /api/products/": 0.4,
    "api /api/articles/": 0.4,
}

SEED = """
from datetime import timedelta
from django.utils import timezone
from content.demo import seed_demo
from content.models import Article, Tag
from shop.demo import seed_demo as seed_shop
seed_shop()
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


def server_env(port: int) -> dict[str, str]:
    return page_server_env(DB_NAME, port)


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


def production_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    """The image's web command (hodhod.webserver's threaded workers), sized small and fixed for the run."""
    env = {**server_env(port), "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads)}
    return subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "python:hodhod.webserver", "hodhod.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_rounds(pool, port: int, args) -> tuple[dict[str, list[float]], dict[str, list[float]], int]:
    """URLs take turns, round after round, so a change in machine load hits them alike. /healthz is
    measured at a round's start and again at its end; each page's ratio is to the mean of the two."""
    rates: dict[str, list[float]] = {label: [] for label, _ in URLS}
    ratios: dict[str, list[float]] = {label: [] for label, _ in URLS}
    failures = 0
    for _ in range(args.rounds):
        for label, path in [*URLS, URLS[0]]:
            rate, errors = measure(pool, port, path, args.clients, args.seconds)
            rates[label].append(rate)
            failures += errors
        baseline = statistics.mean(rates[URLS[0][0]][-2:])
        for label, _ in URLS:
            ratios[label].append(rates[label][-1] / baseline)
    return rates, ratios, failures


def report(rates: dict[str, list[float]], ratios: dict[str, list[float]], failures: int) -> bool:
    """Prints each URL's median requests/s and median ratio with its goal; True when all are met."""
    met = failures == 0
    for label, _ in URLS:
        ratio = statistics.median(ratios[label])
        goal = GOALS.get(label)
        verdict = "" if goal is None else f"   goal >= {goal:.2f}: {'met' if ratio >= goal else 'NOT met'}"
        met = met and (goal is None or ratio >= goal)
        print(f"{label:26} {statistics.median(rates[label]):8.1f} req/s   ratio {ratio:5.2f}{verdict}")
    print(f"non-200 answers or errors: {failures} (goal 0: {'met' if failures == 0 else 'NOT met'})")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--threads", type=int, default=4, help="WEB_THREADS")
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
            server = production_server(port, args.workers, args.threads)
            wait_until_up(port, server)
            use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
            print(
                f"gunicorn -c python:hodhod.webserver: {args.workers} workers × {args.threads} threads, PostgreSQL, "
                f"{args.clients} keep-alive anonymous clients ({'wrk' if use_wrk else 'Python http.client processes'}), "
                f"{args.seconds:g}s per URL per round, {args.rounds} rounds, {os.cpu_count()} CPUs"
            )
            with (
                contextlib.nullcontext() if use_wrk else multiprocessing.get_context("spawn").Pool(args.clients) as pool
            ):
                met = report(*run_rounds(pool, port, args))
            print("all goals met" if met else "a goal was missed")
            return 0 if met else 1
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
