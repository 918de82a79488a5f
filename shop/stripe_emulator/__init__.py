"""A local Stripe for tests and `make run`: the REST subset the shop calls, a
hosted pay page, and signed webhook deliveries. Standard library only; no Django.

    emu = StripeEmulator(webhook_url=None, webhook_secret="whsec_...").start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": emu.base_url})
"""

from .emulator import DEFAULT_API_VERSION, StripeEmulator
from .params import StripeError
from .signing import sign_payload

__all__ = ["DEFAULT_API_VERSION", "StripeEmulator", "StripeError", "sign_payload"]
