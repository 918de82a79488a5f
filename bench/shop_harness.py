"""What the shop benchmarks share: a throw-away PostgreSQL database, the Stripe emulator and
gunicorn on 127.0.0.1 (free ports), and bounded request loops run by client processes.

Used by `bench.shop_checkout` and `bench.shop_webhooks`; not run on its own.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from bench.common import database_url, throwaway_database
from stripe_emulator.payer import DEFAULT_PAYER

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WEBHOOK_SECRET = "whsec_bench"
STRIPE_KEY = "sk_test_bench"

PROMOTION_CODE = "BENCH10"  # 10 % off, typed on the pay page by pay_sessions
SEED = f"""
from decimal import Decimal
from shop.models import Product, PromotionCode, ShippingRate
Product.objects.update_or_create(slug="foosfoot", defaults=dict(
    name="FoosFoot", sku="HH-FF-1", price=Decimal("59.00"), currency="USD", stock=1_000_000, is_active=True))
ShippingRate.objects.get_or_create(name="Standard", countries="US", defaults=dict(
    amount=Decimal("6.95"), free_above=Decimal("100"), delivery_min_days=3, delivery_max_days=5, position=1))
ShippingRate.objects.get_or_create(name="Express", countries="US", defaults=dict(
    amount=Decimal("19.95"), delivery_min_days=1, delivery_max_days=2, position=2))
PromotionCode.objects.get_or_create(code="{PROMOTION_CODE}", defaults=dict(percent_off=Decimal("10")))
"""
# Once the emulator runs: the code made on it, as the admin's save does (shop.promotions).
SYNC_CODES = """
from shop.models import PromotionCode
from shop.promotions import sync_promotion_code
assert all(sync_promotion_code(promotion_id=pk) for pk in PromotionCode.objects.values_list("pk", flat=True))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(db_name: str, port: int, stripe_base: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(db_name),
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1"),
        # The load comes from one address and one email: lift the per-client API limits and the shop's checkout
        # and reservation caps (issue 10) for the run, or all but the first few checkouts are refused.
        "API_RATE_CARTS": "10000000/minute",
        "API_RATE_CHECKOUT": "10000000/minute",
        "SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR": "10000000",
        "SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR": "10000000",
        "SHOP_MAX_RESERVED_UNITS": "10000000",
        "SHOP_MAX_RESERVED_SHARE": "1",
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_base,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",  # the email is built, not delivered
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }


def wait_for(port: int, path: str, proc: subprocess.Popen, what: str) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def shop_server(db_name: str, workers: int, threads: int, celery_workers: int = 0):
    """Yield (app port, emulator port) with a migrated, seeded database; clean everything up after.
    `celery_workers`: also run the compose stack's Celery worker with that many processes (it applies the
    webhooks' events, STRIPE_WEBHOOK_APPLY=worker), its queue purged first."""
    with throwaway_database(db_name):
        emulator_port, app_port = free_port(), free_port()
        stripe_base = f"http://127.0.0.1:{emulator_port}"
        env = server_env(db_name, app_port, stripe_base)
        emulator = gunicorn = worker = None
        try:
            subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            subprocess.run([PYTHON, "manage.py", "shell", "-c", SEED], cwd=ROOT, env=env, check=True)
            emulator = subprocess.Popen(
                [PYTHON, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", str(emulator_port)]
                + ["--webhook-secret", WEBHOOK_SECRET],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_for(emulator_port, "/", emulator, "the Stripe emulator")
            subprocess.run([PYTHON, "manage.py", "shell", "-c", SYNC_CODES], cwd=ROOT, env=env, check=True)
            # The image's production command (hodhod.webserver: gthread workers), sized for the run.
            gunicorn = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", "python:hodhod.webserver", "hodhod.wsgi:application"]
                + ["--bind", f"127.0.0.1:{app_port}", "--log-level", "warning"],
                cwd=ROOT,
                env={**env, "WEB_CONCURRENCY": str(workers), "WEB_THREADS": str(threads)},
                stdout=subprocess.DEVNULL,  # the access log: one line per request
            )
            wait_for(app_port, "/healthz", gunicorn, "gunicorn")
            if celery_workers:
                worker = start_celery_worker(env, celery_workers)
            yield app_port, emulator_port
        finally:
            for proc in (worker, gunicorn, emulator):
                if proc is not None:
                    stop(proc)


def start_celery_worker(env: dict[str, str], processes: int) -> subprocess.Popen:
    """The compose file's worker command (prefork), on the run's broker, its queue emptied of earlier runs, at
    a lower CPU priority than the web server (niceness 10), as compose's `cpu_shares: 512` gives it half the web's
    weight: on a full CPU the web answers first."""
    celery = [PYTHON, "-m", "celery", "-A", "hodhod"]
    subprocess.run([*celery, "purge", "-f"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return subprocess.Popen(
        [*celery, "worker", "--loglevel=WARNING", f"--concurrency={processes}", "--without-gossip"]
        + ["--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.nice(10),  # noqa: PLW1509 - no threads in this process yet
    )


def request(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def api(conn, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
    body = json.dumps(payload).encode() if payload is not None else None
    status, data = request(conn, method, path, body, {"Content-Type": "application/json"})
    return status, json.loads(data) if data else {}


def healthz_loop(args: tuple[int, int]) -> tuple[int, int, float]:
    """One client: `count` GET /healthz on a keep-alive connection. Returns (ok, errors, seconds)."""
    port, count = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = errors = 0
    started = time.perf_counter()
    for _ in range(count):
        status, _ = request(conn, "GET", "/healthz")
        ok, errors = (ok + 1, errors) if status == 200 else (ok, errors + 1)
    return ok, errors, time.perf_counter() - started


def make_carts(args: tuple[int, int]) -> list[str]:
    """`count` API carts holding one FoosFoot each (not timed)."""
    port, count = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    tokens = []
    for _ in range(count):
        _, cart = api(conn, "POST", "/api/carts/")
        status, _ = api(conn, "POST", f"/api/carts/{cart['token']}/lines/", {"product": "foosfoot", "quantity": 1})
        assert status == 201, status
        tokens.append(cart["token"])
    return tokens


def checkout_loop(args: tuple[int, list[str]]) -> tuple[list[dict], int, float]:
    """One client: check each cart out through the API (the app creates a Checkout Session on the emulator)."""
    port, tokens = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done, errors = [], 0
    started = time.perf_counter()
    for token in tokens:
        body = {"email": "bench@example.com", "country": "US"}  # the session offers the US rates
        status, body = api(conn, "POST", f"/api/carts/{token}/checkout/", body)
        if status == 201:
            done.append(body)
        else:
            errors += 1
    return done, errors, time.perf_counter() - started


def pay_sessions(args: tuple[int, list[str]]) -> list[dict]:
    """Pay each session on the emulator's hosted page with the promotion code and the first shipping option
    (no webhook URL: nothing is sent), then fetch it."""
    emulator_port, session_ids = args
    conn = http.client.HTTPConnection("127.0.0.1", emulator_port, timeout=30)
    sessions = []
    for session_id in session_ids:
        form = urlencode({**DEFAULT_PAYER, "promotion_code": PROMOTION_CODE, "action": "pay"}).encode()
        request(conn, "POST", f"/pay/{session_id}", form, {"Content-Type": "application/x-www-form-urlencoded"})
        status, body = request(
            conn, "GET", f"/v1/checkout/sessions/{session_id}", headers={"Authorization": f"Bearer {STRIPE_KEY}"}
        )
        assert status == 200, body
        sessions.append(json.loads(body))
    return sessions


def rate(results: list[tuple], index_ok: int = 0) -> tuple[float, int, int]:
    """(requests/s over the slowest client's time, ok, errors) for clients that ran at the same time."""
    ok = sum(r[index_ok] if isinstance(r[index_ok], int) else len(r[index_ok]) for r in results)
    errors = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return ok / elapsed, ok, errors
