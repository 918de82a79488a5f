"""Webhook deliveries as Stripe makes them: one signed POST (no proxies, no
redirects followed), and the retries of an event until an answer is 2xx.

It gets everything from its caller (the URL, the signed body, the schedule);
the events and their log live in events.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

logger = logging.getLogger("stripe_emulator")


class _NoRedirect(HTTPRedirectHandler):
    # Stripe counts a redirect answer to a webhook as a failed delivery.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies (the webhook is local) and no redirects.
webhook_opener = build_opener(ProxyHandler({}), _NoRedirect)


def post_event(url: str, payload: bytes, signature: str, timeout: float) -> int:
    """POST a signed event body; the HTTP status, or 0 when the webhook could not be reached."""
    request = Request(  # noqa: S310 - the configured webhook URL (http or https)
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature,
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
    )
    try:
        with webhook_opener.open(request, timeout=timeout) as response:
            response.read()
            return response.status
    except HTTPError as error:
        error.read()
        return error.code
    except (URLError, OSError, TimeoutError) as error:
        logger.warning("Stripe emulator: webhook %s unreachable: %s", url, error)
        return 0


def deliver_with_retries(
    event: dict[str, Any],
    *,
    send: Callable[[dict[str, Any], str], int],
    webhook_url: Callable[[], str | None],
    wanted: Callable[[], bool],
    stopping: threading.Event,
    max_attempts: int,
    retry_delay: float,
    first_attempt: int = 0,
) -> None:
    """Send `event` with `send(event, url)` until it answers 2xx, at most `max_attempts` times,
    waiting `retry_delay` seconds and then twice as long before each retry.

    Before each attempt: stop when `wanted()` turned false (the emulator was reset) or
    `stopping` is set, and read `webhook_url()` anew (it may have changed; None stops).
    `first_attempt` > 0 continues a delivery whose earlier attempts were made elsewhere.
    """
    if first_attempt and stopping.wait(retry_delay * 2 ** (first_attempt - 1)):
        return
    for attempt in range(first_attempt, max_attempts):
        if not wanted() or stopping.is_set():
            return
        url = webhook_url()
        if not url:
            return
        status = send(event, url)
        if 200 <= status < 300:
            return
        if attempt + 1 < max_attempts and stopping.wait(retry_delay * 2**attempt):
            return
    logger.warning("Stripe emulator: gave up on %s after %s attempts", event["id"], max_attempts)
