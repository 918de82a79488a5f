"""The demo's server (`make run`: Django's runserver) writes a line for every 4xx/5xx through the
`django.server` logger. Found by the outside probe of 2026-11-30: those lines reached the console
with the full cart, order and enrollment tokens, because the logger had lost Django's own handler
and printed through Python's last-resort handler, past the redaction filter."""

import io
import logging

TOKEN = "Zx8v3kQ9wT2mN7pL4rB6yH1cF5dJ0sAgE7uR2iO4pL9"


def test_dev_server_lines_go_through_the_redacting_console_handler():
    logger = logging.getLogger("django.server")
    handlers = [handler for handler in logger.handlers if isinstance(handler, logging.StreamHandler)]
    assert handlers, "no handler of its own: Python's last-resort handler prints the line unredacted"
    streams = []
    for handler in handlers:
        streams.append((handler, handler.setStream(io.StringIO())))
    try:
        # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs for a 404.
        logger.warning('"%s" %s %s', f"GET /api/carts/{TOKEN}/lines/ HTTP/1.1", "404", "58")
    finally:
        output = "".join(handler.stream.getvalue() for handler, _ in streams)
        for handler, previous in streams:
            handler.setStream(previous)
    assert f"/api/carts/{TOKEN[:6]}…/lines/" in output
    assert TOKEN not in output
