"""Posting one signed webhook request, as Stripe does: no proxies, no redirects followed."""

from __future__ import annotations

import logging
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

logger = logging.getLogger("shop.stripe_emulator")


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
