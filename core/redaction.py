"""Log redaction: the one place that knows what an email address or an access token looks like.

`mask_email` for an address a log line names on purpose, `redact` for any text (a message, an
exception from a mail server or Stripe, a traceback), `RedactFilter` as the last guard on every
handler so nothing leaves unredacted, whoever logged it.
"""

import logging
import re

# Paths and query strings carry access tokens (orders, enrollments, carts, memberships and their signed links,
# account sign-in links, tracked lesson links and open pixels): keep only their first characters.
_TOKEN_IN_PATH = re.compile(
    r"(/(?:orders|programs|carts|enrollments|subscriptions|account/sign-in|l|o)/)([A-Za-z0-9_:.-]{6})[A-Za-z0-9_:.-]+"
)
# A Checkout Session id (`session_id=cs_…`) opens its success page: the order, its email and the order's link.
_TOKEN_IN_QUERY = re.compile(r"((?:order|token|subscription|link|session_id)=)([A-Za-z0-9_:.-]{6})[A-Za-z0-9_:.-]+")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def redact_path(path: str) -> str:
    """`/orders/Zx8v3kQ…/` → `/orders/Zx8v3k…/`: recognisable in a log, useless as a key."""
    return _TOKEN_IN_QUERY.sub(r"\1\2…", _TOKEN_IN_PATH.sub(r"\1\2…", path))


def mask_email(email: str) -> str:
    """`jane.doe@example.com` → `j***@example.com`: enough to recognise, not to harvest."""
    local, _, domain = (email or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def redact(text: str) -> str:
    """Emails masked and access tokens shortened, wherever they appear in a log line."""
    return _EMAIL.sub(r"\1***@\2", redact_path(text))


def loggable(error: object, *, limit: int = 1000) -> str:
    """An exception (or any text) fit for a log line without its traceback: mail servers and Stripe
    echo the addresses and URLs they refuse."""
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return redact(text)[:limit]


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
