"""A local Stripe for tests and `make run`: the REST subset the shop and the memberships call
(Checkout with shipping, promotion codes and tax; Billing with subscriptions, invoices, the
customer portal and a clock), hosted pages, and signed webhook deliveries. Standard library only;
no Django, nothing from the project.

    emu = StripeEmulator(webhook_url=None, webhook_secret="whsec_...").start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": emu.base_url})
    emu.advance_clock(31 * 86400)  # renewals, retries, expiries fall due

Modules, by layer (each imports only from the layers below it):
- `__main__` (the command line), `emulator` (StripeEmulator: core + server + sweep);
- `server` (HTTP), `routes` (the /v1 table), `checkout_page` and `portal_page` (the hosted pages),
  `pages` and `page_parts` (their HTML);
- `core`, joining the parts: `sessions`, `checkout_pay`, `refunds`, `promotions`, `catalog`,
  `customers`, `subscriptions`, `plan_changes`, `invoices`, `clock`, `portal`;
- `events` (events, ordered batches, webhooks), `store` (state, the clock's `now`, look-ups);
- parameters: `session_params`, `session_options`, `promotion_params`, `catalog_params`,
  `billing_params`, `params` (StripeError), `forms`; the payer: `payer`;
- objects: `session_objects`, `catalog_objects`, `billing_objects`, `objects`; arithmetic:
  `pricing`, `tax` (the tax table), `periods`; `delivery` (webhook POSTs), `signing`.
"""

from .emulator import StripeEmulator
from .objects import DEFAULT_API_VERSION
from .params import StripeError
from .signing import sign_payload

__all__ = ["DEFAULT_API_VERSION", "StripeEmulator", "StripeError", "sign_payload"]
