"""Issue 16, item 2: the production server does not block on a slow partner or a slow client.

hodhod/webserver.py runs gunicorn's threaded workers sized for the 2-core box (2 × 32), with a keep-alive and
request-size policy; these run the server as compose does, on a loopback port.
"""

import http.client
import runpy
import socket
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.hodhod.test_access_log import ROOT
from tests.hodhod.test_issue16_shared_cache import production_server


def config(monkeypatch, **environment: str) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "hodhod" / "webserver.py"))


def test_threaded_workers_sized_for_two_cores_with_a_slow_client_policy(monkeypatch):
    defaults = config(monkeypatch)
    assert defaults["worker_class"] == "gthread"
    assert (defaults["workers"], defaults["threads"], defaults["timeout"]) == (2, 32, 30)
    assert defaults["keepalive"] == 5 and defaults["graceful_timeout"] == 30
    assert defaults["limit_request_line"] <= 8190 and defaults["limit_request_fields"] <= 100
    assert defaults["limit_request_field_size"] <= 8190
    assert config(monkeypatch, WEB_TIMEOUT="60")["graceful_timeout"] == 60


def raw_request(base: str, data: bytes) -> bytes:
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(data)
        return conn.recv(200)


@pytest.fixture(scope="module")
def one_thread_server():
    with production_server(WEB_CONCURRENCY="1", WEB_THREADS="1") as base:
        yield base


def keep_alive_request(base: str) -> http.client.HTTPConnection:
    """A connection that made one request, read its answer and stays open (HTTP/1.1 keep-alive)."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    conn.request("GET", "/healthz")
    response = conn.getresponse()
    response.read()
    assert response.status == 200 and not response.will_close
    return conn


def test_kept_alive_connections_hold_no_thread_and_close_after_five_seconds(one_thread_server):
    """Idle keep-alive connections (browsers keep several) wait in the worker's poller, not in a thread:
    the one thread still answers everyone else at once; and they are closed after `keepalive` seconds."""
    idle = [keep_alive_request(one_thread_server) for _ in range(5)]
    try:
        started = time.monotonic()
        with urllib.request.urlopen(f"{one_thread_server}/healthz", timeout=10) as response:  # noqa: S310
            assert response.status == 200
        assert time.monotonic() - started < 2
        assert idle[0].sock.recv(1) == b""  # the server closed it
        assert time.monotonic() - started < 8
    finally:
        for conn in idle:
            conn.close()


def test_oversized_request_lines_and_headers_are_refused(one_thread_server):
    long_line = b"GET /?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert raw_request(one_thread_server, long_line).startswith(b"HTTP/1.1 414")
    many_headers = b"".join(b"X-H%d: 1\r\n" % n for n in range(150))
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many_headers + b"\r\n"
    assert raw_request(one_thread_server, request).startswith(b"HTTP/1.1 431")
