"""One log line per request: request id, method, path, status, duration."""

import logging
import re
import secrets
import time
from contextvars import ContextVar

logger = logging.getLogger("hodhod.request")
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths carry access tokens (orders, enrollments, carts): log only their first characters.
_TOKEN_IN_PATH = re.compile(r"(/(?:orders|programs|carts|enrollments)/)([A-Za-z0-9_:.-]{6})[A-Za-z0-9_:.-]+")


def redact_path(path: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1\2…", path)


def mask_email(email: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`: enough to recognise, not to harvest."""
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def redact(text: str) -> str:
    """Emails masked and access tokens in paths shortened, wherever they appear in a log line."""
    return _EMAIL.sub(r"\1***@\2", redact_path(text))


class RedactFilter(logging.Filter):
    """The last guard on the way out: no full email address or token leaves in a message or a
    traceback, whoever logged it (Django's own loggers included)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # both formatters print exc_text instead
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)
        request.request_id = request_id
        reset = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            logger.info(
                "%s %s %s %.1fms",
                request.method,
                redact_path(request.path),
                status,
                (time.perf_counter() - started) * 1000,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": redact_path(request.path),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request_id.reset(reset)
