"""`make run` from a fresh copy of the repo: SQLite, file broker, emulator; nothing else installed.

The virtualenv is the one this suite runs in (installing it again would only cost
time); everything else comes from a clean copy of the tracked files, with none of
the test environment's server settings.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
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
