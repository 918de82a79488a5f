"""At most a few API writes at once per web process, so a page in between is not starved (issue 16).

A worker process runs Python one thread at a time (the GIL). In a storm every thread is busy with a
checkout, and the GIL goes round all the runnable threads: a home page needing 9 ms of Python gets one
turn in N and takes N times as long. `AdmissionLimit`, a WSGI wrapper the server puts around the app
(hodhod/webserver.py), lets `slots` API writes (POST, PUT, PATCH, DELETE under /api/) run at once in its
process; the others wait on a semaphore, which costs no CPU, while pages and every GET go straight through.

A request gives its slot back while it waits on another server over HTTP (Stripe's round trip, an email
API: whatever goes through `requests`, which Stripe's client uses), and takes one again to go on; so a
slow Stripe does not shrink the number of checkouts in flight. A write that waited `queue_timeout` seconds
for a slot is answered 503 in the API's error shape with Retry-After, rather than left to a proxy's timeout.
"""

import json
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import requests

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BUSY_BODY = json.dumps(
    {"code": "busy", "message": "The shop is very busy; nothing was done. Try again in a moment."}
).encode()
RETRY_AFTER_SECONDS = 2

_held = threading.local()  # the semaphore whose slot this thread's request holds, if any


def is_api_write(environ: dict) -> bool:
    return environ.get("REQUEST_METHOD") in WRITE_METHODS and environ.get("PATH_INFO", "").startswith("/api/")


class AdmissionLimit:
    """WSGI middleware: `slots` API writes at a time in this process, each waiting `queue_timeout` s at most."""

    def __init__(self, app: Callable, *, slots: int, queue_timeout: float) -> None:
        self.app = app
        self.slots = threading.BoundedSemaphore(slots)
        self.queue_timeout = queue_timeout

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not is_api_write(environ):
            return self.app(environ, start_response)
        if not self.slots.acquire(timeout=self.queue_timeout):
            start_response(
                "503 Service Unavailable",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(BUSY_BODY))),
                    ("Retry-After", str(RETRY_AFTER_SECONDS)),
                ],
            )
            return [BUSY_BODY]
        _held.slots = self.slots
        try:
            # Django builds the whole answer in this call (no streaming responses under /api/).
            return self.app(environ, start_response)
        finally:
            _held.slots = None
            self.slots.release()


@contextmanager
def slot_released():
    """Give this thread's slot back for a wait on the network, and take one again after it."""
    slots = getattr(_held, "slots", None)
    if slots is None:
        yield
        return
    _held.slots = None
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
        _held.slots = slots


_send = requests.Session.send


def _send_outside_the_slot(self, request, **kwargs):
    with slot_released():
        return _send(self, request, **kwargs)


def release_slots_on_outbound_http() -> None:
    """Every `requests` call (Stripe's client uses it) waits outside the admission slot. Once per process."""
    requests.Session.send = _send_outside_the_slot
