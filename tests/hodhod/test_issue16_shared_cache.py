"""Issue 16, item 4: with CACHE_URL naming a Redis, the limits kept in Django's cache are one count for every
process (and host); without it each process counts alone, in its own memory.

Two production servers (compose's web command, gunicorn with hodhod/webserver.py) on two loopback ports,
against the test database, take turns answering one client: the limit of N cart creations a minute
answers the N+1th request in total with 429, whichever process gets it. The cache is the test Redis, in a
database number of its own (the broker's + 8), and each run is a new client address (X-Forwarded-For
behind NUM_PROXIES=1), so a rerun or another suite never finds this run's counts.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest

from tests.hodhod.test_access_log import ROOT, free_port, url_of_the_test_database, without_bind
from tests.hodhod.test_compose import compose_web_server_command
from tests.hodhod.test_settings import PRODUCTION_ENV, manage

LIMIT = 4


def redis_cache_url_for_this_suite() -> str:
    broker = urlsplit(os.environ["CELERY_BROKER_URL"])
    database = int(broker.path.strip("/") or 0)
    return f"redis://{broker.netloc}/{(database + 8) % 16}"


def post(url: str, client: str) -> int:
    request = urllib.request.Request(url, data=b"{}", method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Forwarded-For", client)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a loopback URL
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def production_server(**environment: str):
    """compose's web server command on 127.0.0.1:<free port>, one process of two threads; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url_of_the_test_database(),
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "NUM_PROXIES": "1",
        "API_RATE_CARTS": f"{LIMIT}/minute",
        **environment,
    }
    command = [sys.executable, "-m", "gunicorn", *without_bind(compose_web_server_command()[1:])]
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310 - a loopback URL
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def alternate_cart_creations(count: int, **environment: str) -> list[int]:
    """Two servers; `count` POST /api/carts/ from one new client address, first to one, then the other."""
    client = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    with ExitStack() as stack:
        servers = [stack.enter_context(production_server(**environment)) for _ in range(2)]
        return [post(f"{servers[n % 2]}/api/carts/", client) for n in range(count)]


@pytest.mark.django_db(transaction=True)  # the servers are other processes: they see committed rows only
def test_with_cache_url_a_per_client_limit_holds_across_processes():
    statuses = alternate_cart_creations(LIMIT + 2, CACHE_URL=redis_cache_url_for_this_suite())
    assert statuses == [201] * LIMIT + [429, 429]


@pytest.mark.django_db(transaction=True)
def test_without_cache_url_each_process_counts_alone():
    """Why compose sets CACHE_URL: in per-process memory, two processes let one client make twice the limit."""
    statuses = alternate_cart_creations(2 * LIMIT + 2, CACHE_URL="")
    assert statuses == [201] * (2 * LIMIT) + [429, 429]


def cache_setting(**environment: str) -> subprocess.CompletedProcess:
    program = "from django.conf import settings; c = settings.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'))"
    return manage("shell", "--no-imports", "-c", program, env={**PRODUCTION_ENV, **environment})


def test_cache_url_selects_django_redis_cache_and_defaults_to_process_memory():
    shared = cache_setting(CACHE_URL="redis://redis:6379/1")
    assert shared.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "redis://redis:6379/1"]
    alone = cache_setting(CACHE_URL="")
    assert alone.stdout.split() == ["django.core.cache.backends.locmem.LocMemCache", "None"]


def test_a_cache_url_that_is_not_redis_stops_start_up_naming_it():
    result = cache_setting(CACHE_URL="memcached://cache:11211")
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr.strip().splitlines()[-1]
