"""HTTP for the emulator: the /v1 REST subset (routes.py), the hosted pages (/pay/, /recover/,
/portal/) and the emulator's own controls under /_emulator/ (the clock, a customer's card, a refund failing).

A ThreadingHTTPServer speaking HTTP/1.1 with keep-alive (stripe-python's
requests session reuses connections), a deep accept queue so forty clients
connecting at once are not refused.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .checkout_page import pay_page, recover_page
from .core import EmulatorCore
from .forms import FormError, decode_form
from .objects import new_id
from .pages import PageResponse
from .params import StripeError, bool_param, integer_param, string_param
from .portal_page import portal_page
from .routes import find_route

logger = logging.getLogger("stripe_emulator")

MAX_BODY = 1024 * 1024


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], emulator: EmulatorCore) -> None:
        self.emulator = emulator
        super().__init__(address, EmulatorHandler)


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "StripeEmulator/1.0"
    timeout = 60  # idle keep-alive connections close eventually
    # Headers and body go out in separate writes; with Nagle on, the client's delayed ACK adds ~40 ms per call.
    disable_nagle_algorithm = True
    server: EmulatorServer

    # ------------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        logger.debug("Stripe emulator: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    @property
    def emulator(self) -> EmulatorCore:
        return self.server.emulator

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True
                raise StripeError("Chunked request bodies are not supported by the emulator.", status=411)
            return b""
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            raise StripeError("Invalid Content-Length.") from None
        if size < 0 or size > MAX_BODY:
            self.close_connection = True
            raise StripeError("Request body too large.", status=413)
        return self.rfile.read(size)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()  # compact: indent would switch json to its slow pure-Python encoder
        self._send(status, body, "application/json", headers)

    def _send_html(self, status: int, html: str) -> None:
        self._send(
            status,
            html.encode("utf-8"),
            "text/html; charset=utf-8",
            {
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            },
        )

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": location})

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path
        try:
            body = self._read_body()
        except StripeError as error:
            self._send_json(error.status, error.body())
            return
        try:
            if path.startswith("/v1/"):
                self._api(method, path, split.query, body)
            elif path.startswith("/pay/"):
                self._send_page(pay_page(self.emulator, method, unquote(path[len("/pay/") :]), body))
            elif path.startswith("/recover/") and method == "GET":
                self._send_page(recover_page(self.emulator, unquote(path[len("/recover/") :])))
            elif path.startswith("/portal/"):
                self._send_page(portal_page(self.emulator, method, unquote(path[len("/portal/") :]), body))
            elif path.startswith("/_emulator/"):
                self._control(method, path, split.query, body)
            elif path in ("/", "/health") and method == "GET":
                self._send_json(200, {"object": "stripe_emulator", "status": "ok", "api_base": self.emulator.base_url})
            else:
                self._send_json(404, StripeError(f"Unrecognized request URL ({method}: {path}).", status=404).body())
        except Exception:
            logger.exception("Stripe emulator: error handling %s %s", method, path)
            error = StripeError("The emulator hit an internal error.", status=500, type="api_error")
            self._send_json(500, error.body(), {"Stripe-Should-Retry": "false"})

    # ---------------------------------------------------------------------- /v1

    def _api_key(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            key = credentials.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credentials.strip()).decode().partition(":")[0]
            except (ValueError, UnicodeDecodeError):
                return None
        else:
            return None
        expected = self.emulator.api_key
        if expected is not None:
            return key if secrets.compare_digest(key, expected) else None
        return key if re.match(r"^(sk|rk)_(test|live)_\w+$", key) else None

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        emu = self.emulator
        if emu.latency:
            time.sleep(emu.latency)  # in this request's own thread, holding no lock: calls wait side by side
        headers = {
            "Request-Id": new_id("req_", 14),
            "Stripe-Version": self.headers.get("Stripe-Version") or emu.api_version,
        }
        idempotency_key = self.headers.get("Idempotency-Key")
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        api_key = self._api_key()
        if api_key is None:
            shown = self.headers.get("Authorization", "").partition(" ")[2][:8]
            message = (
                "You did not provide an API key. Provide it in the Authorization header as `Bearer sk_test_...`."
                if not shown
                else f"Invalid API Key provided: {shown}****"
            )
            self._send_json(
                401, StripeError(message, status=401).body(), {**headers, "WWW-Authenticate": 'Basic realm="Stripe"'}
            )
            return
        try:
            params = decode_form(body.decode("utf-8") if method == "POST" else query)
        except (FormError, UnicodeDecodeError) as error:
            param = getattr(error, "param", None)
            self._send_json(400, StripeError(str(error), param=param).body(), headers)
            return

        status, payload, replayed = self._api_answer(method, path, params, api_key, idempotency_key)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        if status >= 500:
            headers["Stripe-Should-Retry"] = "true"
        call = {
            "method": method,
            "path": path,
            "params": params,
            "idempotency_key": idempotency_key,
            "stripe_version": self.headers.get("Stripe-Version"),
            "status": status,
            "replayed": replayed,
        }
        emu.record(emu.api_calls, call)
        logger.log(
            emu.log_level, "Stripe emulator: %s %s -> %s%s", method, path, status, " (replayed)" if replayed else ""
        )
        self._send_json(status, payload, headers)

    def _api_answer(
        self, method: str, path: str, params: dict[str, Any], api_key: str, idempotency_key: str | None
    ) -> tuple[int, Any, bool]:
        emu = self.emulator
        failure = emu._take_failure(method, path)
        if failure is not None:
            return failure.status, failure.body(), False
        if method != "POST" or not idempotency_key:
            return (*self._route(method, path, params), False)
        # One lock around look-up, work and record: two concurrent requests with
        # one key get one object, never two.
        with emu._lock:
            saved = emu.idempotency.get((api_key, idempotency_key))
            if saved is not None:
                if saved["method"] != method or saved["path"] != path or saved["params"] != params:
                    error = StripeError(
                        "Keys for idempotent requests can only be used with the same parameters they were first "
                        f"used with. Try using a key other than '{idempotency_key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                    return 400, error.body(), False
                return saved["status"], json.loads(saved["body"]), True
            status, payload = self._route(method, path, params)
            # Stripe saves the result once the endpoint ran; refusals of bad input are not saved.
            if status < 400:
                emu.idempotency[(api_key, idempotency_key)] = {
                    "method": method,
                    "path": path,
                    "params": params,
                    "status": status,
                    "body": json.dumps(payload),
                }
            return status, payload, False

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        emu = self.emulator
        handler, object_id, known = find_route(method, path)
        if handler is None:
            verb = "Unsupported method" if known else "Unrecognized request URL"
            return 404, StripeError(f"{verb} ({method}: {path}).", status=404).body()
        expand = params.get("expand") or []
        if isinstance(expand, str):
            expand = [expand]
        try:
            result = handler(emu, unquote(object_id), params)
            if expand and isinstance(result, dict):
                result = emu.expand(result, [str(e) for e in expand])
        except StripeError as error:
            return error.status, error.body()
        return 200, result

    # -------------------------------------------------------------- pages, controls

    def _send_page(self, page: PageResponse) -> None:
        if page.location is not None:
            self._redirect(page.location)
        else:
            self._send_html(page.status, page.html)

    def _control(self, method: str, path: str, query: str, body: bytes) -> None:
        """/_emulator/...: the emulator's own switches (no API key; the emulator is local)."""
        emu = self.emulator
        try:
            params = decode_form(body.decode("utf-8") if method == "POST" else query)
            card = re.match(r"^/_emulator/customers/([^/]+)/card$", path)
            failing_refund = re.match(r"^/_emulator/refunds/([^/]+)/fail$", path)
            if path == "/_emulator/clock" and method == "GET":
                result: Any = emu.clock()
            elif path == "/_emulator/clock/advance" and method == "POST":
                seconds = integer_param(params, "seconds")
                result = emu.advance_clock(
                    seconds,
                    to=integer_param(params, "to"),
                    shuffle=bool(_flag(params, "shuffle")),
                    duplicate=bool(_flag(params, "duplicate")),
                    seed=integer_param(params, "seed"),
                )
            elif card and method == "POST":
                emu.set_card_failing(unquote(card.group(1)), bool(_flag(params, "failing")))
                result = emu.card_of(unquote(card.group(1)))
            elif failing_refund and method == "POST":
                reason = string_param(params, "failure_reason") or "expired_or_canceled_card"
                result = emu.fail_refund(unquote(failing_refund.group(1)), reason)
            else:
                raise StripeError(f"Unrecognized request URL ({method}: {path}).", status=404)
        except (FormError, UnicodeDecodeError) as error:
            self._send_json(400, StripeError(str(error)).body())
            return
        except StripeError as error:
            self._send_json(error.status, error.body())
            return
        self._send_json(200, result)


def _flag(params: dict[str, Any], name: str) -> bool | None:
    """`1`/`0` as well as `true`/`false`, for hand-written requests."""
    value = params.get(name)
    if value in ("1", "0"):
        return value == "1"
    return bool_param(params, name)
