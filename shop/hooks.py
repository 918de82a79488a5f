"""What other apps add to the shop's order pages and emails, without the shop importing them.

An app appends a provider to `order_extras` when it is ready (`AppConfig.ready`): a callable
`(order) -> list[dict]`, each dict `{"title": …, "text": …, "url": … (optional), "link_text": … (optional)}`.
The success page and the order confirmation email show every extra under the order. A provider
that fails is logged and left out: the customer's confirmation never breaks for an extra.
"""

import logging
from collections.abc import Callable

from shop.models import Order

logger = logging.getLogger(__name__)

OrderExtras = Callable[[Order], list[dict]]

order_extras: list[OrderExtras] = []


def register_order_extras(provider: OrderExtras) -> OrderExtras:
    """Add `provider` once (a second `ready()` in the same process adds nothing); usable as a decorator."""
    if provider not in order_extras:
        order_extras.append(provider)
    return provider


def extras_for_order(order: Order) -> list[dict]:
    """Every registered provider's extras for `order`, in registration order."""
    extras = []
    for provider in order_extras:
        try:
            extras.extend(provider(order))
        except Exception:
            logger.exception(
                "order extras of %s failed for order %s", getattr(provider, "__qualname__", provider), order.pk
            )
    return extras
