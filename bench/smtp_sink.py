"""A real SMTP server for benchmarks and tests: aiosmtpd on an ephemeral port, keeping what it receives."""

import threading

from aiosmtpd.controller import Controller


class _Collector:
    def __init__(self):
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.lock.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink(Controller):
    """aiosmtpd's threaded controller, bound to port 0 (the OS picks a free port)."""

    def __init__(self):
        self.collector = _Collector()
        super().__init__(self.collector, hostname="127.0.0.1", port=0)

    def _trigger_server(self):
        # aiosmtpd 1.4 connects to `self.port` to wake the server: learn the real one first.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
