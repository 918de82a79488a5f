"""`make run` from a fresh copy of the repo: SQLite, file broker, emulator; nothing else installed.

The virtualenv is the one this suite runs in (installing it again would only cost
time); everything else comes from a clean copy of the tracked files, with none of
the test environment's server settings.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEARED = {
    "DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SITE_URL",
    "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "SECURE_SSL_REDIRECT",
    "TEST_DATABASE_NAME", "DJANGO_SETTINGS_MODULE", "EMAIL_BACKEND",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # answer the 3xx itself


NOT_FOLLOWING = urllib.request.build_opener(NoRedirect)


def post(url: str, data: bytes, content_type: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with NOT_FOLLOWING.open(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def buy_one_and_pay(base: str) -> str:
    """The demo catalog, a cart, a checkout, the emulator's Pay button: return the order's API URL."""
    as_json = "application/json"
    products = json.loads(get(f"{base}/api/products/")[1])["results"]
    token = json.loads(post(f"{base}/api/carts/", b"", as_json)[1])["token"]
    line = json.dumps({"product": products[0]["slug"], "quantity": 1}).encode()
    assert post(f"{base}/api/carts/{token}/lines/", line, as_json)[0] == 201
    status, body = post(f"{base}/api/carts/{token}/checkout/", b'{"email": "demo@example.com"}', as_json)
    assert status == 201, body
    checkout = json.loads(body)
    pay = urllib.parse.urlencode(
        {"action": "pay", "email": "demo@example.com", "name": "Dana Walker", "line1": "350 Fifth Avenue",
         "city": "New York", "state": "NY", "postal_code": "10118", "country": "US"}
    ).encode()  # fmt: skip
    # Not following the 303 to the success page (which would fulfil the order itself): only the webhook can.
    assert post(checkout["checkout_url"], pay, "application/x-www-form-urlencoded")[0] == 303
    return f"{base}/api/orders/{checkout['order']['token']}/"


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def fresh_copy(tmp_path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    copy = tmp_path / "hodhod"
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def test_make_run_serves_health_and_readiness_within_a_minute(fresh_copy):
    port, emulator_port = free_port(), free_port()
    top_level_before = {path.name for path in fresh_copy.iterdir()}
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    process = subprocess.Popen(
        # -o: the virtualenv counts as installed (see the module docstring).
        ["make", "-o", ".venv/.installed", "run", f"PORT={port}", f"STRIPE_EMULATOR_PORT={emulator_port}"],
        cwd=fresh_copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 60
        health = ready = (0, b"")
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = get(f"http://127.0.0.1:{port}/healthz")
                ready = get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                pass
            if health[0] == ready[0] == 200:
                break
            time.sleep(0.5)
        if process.poll() is not None:
            pytest.fail("make run exited early:\n" + process.communicate()[0].decode(errors="replace")[-3000:])
        assert health[0] == 200, "healthz never answered"
        assert ready[0] == 200, ready[1]
        assert b'"database": "sqlite"' in ready[1]
        assert b'"broker": "filesystem"' in ready[1]
        assert (fresh_copy / "var" / "hodhod.sqlite3").exists()

        # The emulator's signed webhook reaches the web process: the demo takes a payment.
        order_url = buy_one_and_pay(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 20
        while json.loads(get(order_url)[1])["status"] != "paid" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert json.loads(get(order_url)[1])["status"] == "paid"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # one Ctrl-C stops everything
            try:
                output = process.communicate(timeout=20)[0].decode(errors="replace")
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                output = process.communicate()[0].decode(errors="replace")
                pytest.fail("make run did not stop on Ctrl-C:\n" + output[-3000:])
    assert "/admin/" in output and "/api/docs/" in output, output[-3000:]
    # Everything the demo writes is under var/ (kombu's file broker once left ./control/ in the checkout).
    assert {path.name for path in fresh_copy.iterdir()} - top_level_before <= {"var"}
