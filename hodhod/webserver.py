"""The production web server's one configuration, for the image and for compose alike:

    gunicorn -c python:hodhod.webserver hodhod.wsgi:application

Threaded workers (gunicorn's `gthread`), because a checkout, a membership join or a success page waits on
Stripe's round trip (a few hundred ms): a thread waiting on the network holds neither the GIL nor a core,
so the other threads of its process go on. Sync workers block a whole process per round trip: with 3 of
them, 48 buyers at once held the home page at seconds, and a 400 ms Stripe cut the checkouts per second to
a fifth (issue 16, `python -m bench.launch_storm`; figures in the README, "Deploying").

Sizes come from the environment (all optional): WEB_CONCURRENCY worker processes (default 2: one per core
of the 2-core box), WEB_THREADS threads in each (default 32), WEB_TIMEOUT seconds a worker may stay silent
before it is restarted, and that a stopping worker has to finish its requests (default 30). Threads, not
processes, are what requests waiting on Stripe use: when every thread is taken, the next request - a home
page too - queues behind checkouts, so WEB_CONCURRENCY × WEB_THREADS should exceed the requests in flight
at the peak (2 × 16 held 48 buyers' home page p99 at 0.1-1.5 s, 2 × 32 at about 0.15 s). Each thread
keeps its own database connection: WEB_CONCURRENCY × WEB_THREADS per web container, with the Celery
workers' and the admin's, must fit within PostgreSQL's `max_connections`.

In a storm the home page waits for its process's GIL behind every runnable checkout thread. Two knobs for that,
set in each worker as it starts (`post_worker_init`): WEB_SWITCH_INTERVAL, Python's switch interval in seconds
(default Python's 0.005), and WEB_API_SLOTS, API writes at once per process (hodhod.admission; 0: no limit), with
WEB_API_QUEUE_TIMEOUT seconds a write may wait for a slot before a 503 (default 10). Both off by default: in
A/B rounds (`bench.launch_storm`, README "Benchmarks") 0.5 ms made the home page's storm p99 worse, and 4 slots
did not make it better.

A module, not a `gunicorn.conf.py` at the top of the repo: gunicorn loads that file by itself into
every server started there (the benchmarks start their own).
"""

import os
import sys

from gunicorn.glogging import Logger

from core.redaction import RedactFilter
from hodhod import admission  # a module: gunicorn reads this file's lowercase names as its settings


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


SWITCH_INTERVAL = _env_float("WEB_SWITCH_INTERVAL", sys.getswitchinterval())
API_SLOTS = _env_int("WEB_API_SLOTS", 0)
API_QUEUE_TIMEOUT = _env_float("WEB_API_QUEUE_TIMEOUT", 10.0)


def post_worker_init(worker) -> None:
    sys.setswitchinterval(SWITCH_INTERVAL)
    if API_SLOTS:
        admission.release_slots_on_outbound_http()
        worker.wsgi = admission.AdmissionLimit(worker.wsgi, slots=API_SLOTS, queue_timeout=API_QUEUE_TIMEOUT)


class RedactingLogger(Logger):
    """gunicorn's logger with the app's redaction filter on its access and error logs: a request
    line, a referer, or an error quoting the URI carries order and program tokens (issue 10)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)  # runs again on a configuration reload
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, RedactFilter) for existing in log.filters):
                log.addFilter(RedactFilter())


bind = ["0.0.0.0:8000"]
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", 2)
threads = _env_int("WEB_THREADS", 32)
timeout = _env_int("WEB_TIMEOUT", 30)
graceful_timeout = timeout

# What a slow or hostile client can hold. An idle keep-alive connection waits in the worker's poller, not in a
# thread, and is closed after 5 s; a new connection that says nothing holds a thread for 5 s at most (gunicorn's wait
# for its first bytes), then waits in the poller too; at most 1000 connections per worker. The request line, the
# number of headers and each header are bounded (414, 431 and 400 past them). But a thread reads a request's headers
# and body as they arrive, so a client that trickles them holds that thread: the proxy in front must buffer whole
# requests (and responses) before passing them on, as nginx does by default (`proxy_request_buffering on`, with
# `client_header_timeout` / `client_body_timeout`, `client_max_body_size`).
keepalive = 5
worker_connections = 1000
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Access lines on stdout, the server's own lines on stderr, tokens shortened in both. The
# response's X-Request-ID ties an access line to the app's JSON line for the same request.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
logger_class = RedactingLogger

# No runtime control socket (gunicornc): nothing here uses it, and its fixed path under $HOME
# would be shared by every server one user starts.
control_socket_disable = True
