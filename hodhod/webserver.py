"""The production web server's one configuration, for the image and for compose alike:

    gunicorn -c python:hodhod.webserver hodhod.wsgi:application

Sizes come from the environment (all optional): WEB_CONCURRENCY worker processes (default 3),
WEB_THREADS threads in each (default 1; above 1 gunicorn uses its threaded worker), WEB_TIMEOUT
seconds a worker may stay silent before it is restarted (default 30).

A module, not a `gunicorn.conf.py` at the top of the repo: gunicorn loads that file by itself into
every server started there (the benchmarks start their own).
"""

import os

from gunicorn.glogging import Logger

from core.redaction import RedactFilter


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


class RedactingLogger(Logger):
    """gunicorn's logger with the app's redaction filter on its access and error logs: a request
    line, a referer, or an error quoting the URI carries order and program tokens (issue 10)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)  # runs again on a configuration reload
        for log in (self.error_log, self.access_log):
            if not any(isinstance(existing, RedactFilter) for existing in log.filters):
                log.addFilter(RedactFilter())


bind = ["0.0.0.0:8000"]
workers = _env_int("WEB_CONCURRENCY", 3)
threads = _env_int("WEB_THREADS", 1)
timeout = _env_int("WEB_TIMEOUT", 30)

# Access lines on stdout, the server's own lines on stderr, tokens shortened in both. The
# response's X-Request-ID ties an access line to the app's JSON line for the same request.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
logger_class = RedactingLogger

# No runtime control socket (gunicornc): nothing here uses it, and its fixed path under $HOME
# would be shared by every server one user starts.
control_socket_disable = True
