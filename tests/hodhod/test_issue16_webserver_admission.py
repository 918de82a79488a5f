"""Issue 16: in a checkout storm the home page is not starved. The server's worker hook (hodhod/webserver.py)
sets Python's switch interval and, when WEB_API_SLOTS is set, puts hodhod.admission's limit around the app:
a few API writes at once per process, pages straight through, a slot given back during a wait on another
server over HTTP, and a clear 503 in the API's error shape when a write waited too long."""

import json
import runpy
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from core.api import error_body
from hodhod.admission import AdmissionLimit, release_slots_on_outbound_http
from tests.hodhod.test_access_log import ROOT
from tests.hodhod.test_issue16_shared_cache import post, production_server


class FakeWorker:
    def __init__(self) -> None:
        self.wsgi = app_answering("ok")


def app_answering(text: str, until: threading.Event | None = None):
    def app(environ, start_response):
        if until is not None:
            assert until.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


def call(app, method: str, path: str) -> tuple[str, dict, bytes]:
    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(app({"REQUEST_METHOD": method, "PATH_INFO": path}, start_response))
    return answer["status"], answer["headers"], body


@pytest.fixture
def switch_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def worker_hook(monkeypatch, **environment: str):
    for name in ("WEB_SWITCH_INTERVAL", "WEB_API_SLOTS", "WEB_API_QUEUE_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "hodhod" / "webserver.py"))["post_worker_init"]


def test_issue16_the_worker_hook_sets_the_switch_interval_and_wraps_the_app_in_the_limit(monkeypatch, switch_interval):
    monkeypatch.setattr(requests.Session, "send", requests.Session.send)  # undone after the test
    sys.setswitchinterval(0.005)
    worker = FakeWorker()
    worker_hook(monkeypatch, WEB_SWITCH_INTERVAL="0.0005", WEB_API_SLOTS="3")(worker)
    assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert isinstance(worker.wsgi, AdmissionLimit) and worker.wsgi.slots._value == 3
    assert call(worker.wsgi, "POST", "/api/carts/")[2] == b"ok"

    unlimited = FakeWorker()
    worker_hook(monkeypatch, WEB_API_SLOTS="0")(unlimited)
    assert not isinstance(unlimited.wsgi, AdmissionLimit)


def test_issue16_pages_go_through_while_the_api_slots_are_taken_and_a_write_that_waited_too_long_gets_503():
    release = threading.Event()
    limit = AdmissionLimit(app_answering("slow write", until=release), slots=1, queue_timeout=0.3)
    holder = threading.Thread(target=call, args=(limit, "POST", "/api/carts/"))
    holder.start()
    try:
        time.sleep(0.1)  # the one slot is taken
        pages = AdmissionLimit(app_answering("page"), slots=1, queue_timeout=0.3)
        pages.slots = limit.slots  # the same process: the same slots, the app answering at once
        started = time.monotonic()
        assert call(pages, "GET", "/")[2] == b"page"
        assert call(pages, "GET", "/api/products/")[2] == b"page"
        assert call(pages, "POST", "/stripe/webhook/")[2] == b"page"  # not the API: never queued
        assert time.monotonic() - started < 0.2

        status, headers, body = call(pages, "POST", "/api/carts/")
        assert status.startswith("503")
        assert time.monotonic() - started >= 0.3
        assert headers["Retry-After"] == "2" and headers["Content-Type"] == "application/json"
        assert json.loads(body) == error_body("busy", json.loads(body)["message"])
        assert "busy" in json.loads(body)["message"]
    finally:
        release.set()
        holder.join()
    assert limit.slots.acquire(timeout=0)  # given back


class SlowPartner(BaseHTTPRequestHandler):
    answer = threading.Event()

    def do_GET(self) -> None:
        self.answer.wait(10)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def test_issue16_a_write_waiting_on_another_server_over_http_gives_its_slot_back(monkeypatch):
    monkeypatch.setattr(requests.Session, "send", requests.Session.send)  # undone after the test
    release_slots_on_outbound_http()
    partner = ThreadingHTTPServer(("127.0.0.1", 0), SlowPartner)
    threading.Thread(target=partner.serve_forever, daemon=True).start()
    partner_url = f"http://127.0.0.1:{partner.server_address[1]}/"

    def checkout(environ, start_response):
        text = requests.get(partner_url, timeout=10).text if environ["PATH_INFO"] == "/api/slow/" else "fast"
        start_response("201 Created", [])
        return [text.encode()]

    limit = AdmissionLimit(checkout, slots=1, queue_timeout=0.5)
    slow = threading.Thread(target=call, args=(limit, "POST", "/api/slow/"))
    try:
        slow.start()
        time.sleep(0.2)  # waiting on the partner
        assert call(limit, "POST", "/api/fast/")[0].startswith("201")  # the slot was free
    finally:
        SlowPartner.answer.set()
        slow.join()
        partner.shutdown()
    assert limit.slots.acquire(timeout=0)  # and held by nobody after


@pytest.mark.django_db(transaction=True)
def test_issue16_the_production_server_with_the_limit_answers_pages_and_api_writes():
    with production_server(WEB_API_SLOTS="1", API_RATE_CARTS="100/minute") as base:
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310 - a loopback URL
            assert response.status == 200
        assert [post(f"{base}/api/carts/", "203.0.113.9") for _ in range(3)] == [201, 201, 201]
