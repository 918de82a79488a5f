"""Issue 10, item 4: the production web server's own lines shorten tokens, as the app's do.

The server runs exactly as compose's web service runs it (its configuration file, its logger),
bound to a free loopback port, against the test database.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import OrderFactory
from tests.hodhod.test_compose import compose_web_server_command

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def without_bind(arguments: list[str]) -> list[str]:
    kept, skip = [], False
    for word in arguments:
        if skip:
            skip = False
        elif word in {"-b", "--bind"}:
            skip = True
        elif not word.startswith("--bind="):
            kept.append(word)
    return kept


def url_of_the_test_database() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def get(url: str, **headers: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def production_server(tmp_path):
    """compose's web server command on 127.0.0.1:<free port>; yields (base URL, read its output)."""
    command = compose_web_server_command()
    assert command[0] == "gunicorn"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url_of_the_test_database(), "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1"}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *without_bind(command[1:]), "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        return out.read_text() + err.read_text()

    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server stopped: {output()}"
            try:
                if get(f"{base}/healthz") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the server did not answer: {output()}"
            time.sleep(0.2)
        yield base, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)  # the server is another process: it sees committed rows only
def test_issue10_item4_no_full_token_in_the_production_server_output(production_server):
    base, output = production_server
    token = OrderFactory().token
    status = get(
        f"{base}/orders/{token}/?order={token}",
        Referer=f"https://shop.hodhod.example/orders/{token}/?token={token}",
    )
    assert status == 200
    lines = output()
    assert token not in lines
    assert f'"GET /orders/{token[:6]}…/?order={token[:6]}… HTTP/1.1" 200' in lines  # the access line is there
    assert f"https://shop.hodhod.example/orders/{token[:6]}…/?token={token[:6]}…" in lines  # with its referer
