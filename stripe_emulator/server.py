"""HTTP for the emulator: the /v1 REST subset, the hosted page under /pay/.

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
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .core import EmulatorCore
from .forms import FormError, decode_form
from .objects import new_id
from .pages import render_not_found, render_pay_page, render_status_page, success_url
from .params import StripeError
from .payer import PAYER_FIELDS, payer_problem

logger = logging.getLogger("stripe_emulator")

MAX_BODY = 1024 * 1024
_SESSION = r"/v1/checkout/sessions/(?P<id>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/v1/checkout/sessions$"), "list_sessions"),
    ("POST", re.compile(r"^/v1/checkout/sessions$"), "create_session"),
    ("GET", re.compile(rf"^{_SESSION}$"), "retrieve_session"),
    ("POST", re.compile(rf"^{_SESSION}/expire$"), "expire_session"),
    ("GET", re.compile(rf"^{_SESSION}/line_items$"), "session_line_items"),
    ("GET", re.compile(r"^/v1/refunds$"), "list_refunds"),
    ("POST", re.compile(r"^/v1/refunds$"), "create_refund"),
    ("GET", re.compile(r"^/v1/refunds/(?P<id>[^/]+)$"), "retrieve_refund"),
    ("GET", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"), "retrieve_payment_intent"),
    ("GET", re.compile(r"^/v1/charges/(?P<id>[^/]+)$"), "retrieve_charge"),
    ("GET", re.compile(r"^/v1/events/(?P<id>[^/]+)$"), "retrieve_event"),
]


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
                self._page(method, unquote(path[len("/pay/") :]), body)
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
        allowed = False
        for route_method, pattern, name in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            allowed = True
            if route_method != method:
                continue
            object_id = unquote(match.groupdict().get("id") or "")
            expand = params.get("expand") or []
            if isinstance(expand, str):
                expand = [expand]
            try:
                result = self._call(name, object_id, params)
                if expand and isinstance(result, dict) and result.get("object") != "list":
                    result = emu.expand(result, [str(e) for e in expand])
            except StripeError as error:
                return error.status, error.body()
            return 200, result
        verb = "Unrecognized request URL" if not allowed else "Unsupported method"
        return 404, StripeError(f"{verb} ({method}: {path}).", status=404).body()

    def _call(self, name: str, object_id: str, params: dict[str, Any]) -> Any:
        emu = self.emulator
        if name == "create_session":
            return emu.create_session(params)
        if name == "list_sessions":
            return emu.list_sessions(params)
        if name == "retrieve_session":
            return emu.retrieve_session(object_id)
        if name == "expire_session":
            return emu.expire_session(object_id)
        if name == "session_line_items":
            emu.retrieve_session(object_id)
            return emu._line_items_list(object_id)
        if name == "create_refund":
            return emu.create_refund(params)
        if name == "list_refunds":
            return emu.list_refunds(params)
        if name == "retrieve_refund":
            return emu.retrieve_refund(object_id)
        if name == "retrieve_payment_intent":
            return emu.retrieve("payment_intent", object_id)
        if name == "retrieve_charge":
            return emu.retrieve("charge", object_id)
        if name == "retrieve_event":
            return emu.retrieve_event(object_id)
        raise AssertionError(name)

    # ------------------------------------------------------------------- /pay/

    def _page(self, method: str, session_id: str, body: bytes) -> None:
        emu = self.emulator
        try:
            session = emu.retrieve_session(session_id)
        except StripeError:
            self._send_html(404, render_not_found(session_id))
            return
        if method == "GET":
            self._show(session)
            return
        if method != "POST":
            self._send_html(405, render_not_found(session_id))
            return
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = form.get("action", "pay")
        if action == "cancel":
            self._redirect(session.get("cancel_url") or f"/pay/{session_id}")
            return
        if action in ("settle_succeeded", "settle_failed"):
            try:
                emu.settle_session(session_id, succeeded=action == "settle_succeeded")
            except StripeError as error:
                self._show(session, error=error.message, status=409)
                return
            self._redirect(f"/pay/{session_id}")
            return
        if action not in ("pay", "delayed"):
            self._show(session, error="Unknown action.", status=400)
            return
        values = {name: form.get(name, "").strip() for name in PAYER_FIELDS}
        values["country"] = values["country"].upper()
        problem = payer_problem(values)
        if problem:
            self._show(session, values=values, error=problem, status=400)
            return
        try:
            paid = emu.complete_session(
                session_id,
                "paid" if action == "pay" else "delayed",
                email=values["email"],
                name=values["name"],
                address={k: values[k] for k in ("line1", "line2", "city", "state", "postal_code", "country")},
            )
        except StripeError as error:
            self._show(emu.session(session_id), values=values, error=error.message, status=409)
            return
        self._redirect(success_url(paid) if paid.get("success_url") else f"/pay/{session_id}")

    def _show(
        self,
        session: dict[str, Any],
        *,
        values: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> None:
        emu = self.emulator
        if session["status"] == "open":
            html = render_pay_page(session, emu.session_line_items(session["id"]), values=values, error=error)
        else:
            intent = emu.payment_intent(session["payment_intent"]) if session.get("payment_intent") else None
            html = render_status_page(session, intent)
            if error:
                html = html.replace(
                    '<p class="status"', f'<p class="error" role="alert">{escape(error)}</p>\n<p class="status"', 1
                )
        self._send_html(status, html)
