"""One log line per request: request id, method, path, status, duration."""

import logging
import re
import secrets
import time
from contextvars import ContextVar

from core.redaction import redact_path

logger = logging.getLogger("hodhod.request")
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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
