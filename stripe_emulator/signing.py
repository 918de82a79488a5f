"""Stripe-Signature headers: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.payload">`.

The scheme stripe-python's `Webhook.construct_event` verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header value for `payload` signed with `secret`."""
    if timestamp is None:
        timestamp = int(time.time())
    signed = f"{int(timestamp)}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={int(timestamp)},v1={digest}"
