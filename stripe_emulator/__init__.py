"""A local Stripe for tests and `make run`: the REST subset the shop calls, a
hosted pay page, and signed webhook deliveries. Standard library only; no Django,
nothing from the project.

    emu = StripeEmulator(webhook_url=None, webhook_secret="whsec_...").start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": emu.base_url})

Modules, each importing only those listed after it: `__main__` (the command line),
`emulator` (StripeEmulator: core + server + sweep), `server` (HTTP), `core`,
`sessions` and `refunds` (the endpoints), `events` (events and webhooks), `store`
(state and look-ups), `pages` (the hosted page), `payer`, `session_params`,
`params` (parameter checks, StripeError), `forms` (form decoding), `objects`
(Stripe-shaped dicts), `delivery` (webhook POSTs and retries), `signing`.
"""

from .emulator import StripeEmulator
from .objects import DEFAULT_API_VERSION
from .params import StripeError
from .signing import sign_payload

__all__ = ["DEFAULT_API_VERSION", "StripeEmulator", "StripeError", "sign_payload"]
