"""Which app applies which Stripe event type.

An app registers its handlers when it is ready (`AppConfig.ready`): `payments` knows no app,
it hands each stored event to the handler registered for its type. A handler runs inside the
event's transaction, with the event row locked, and answers the state to store:
`StripeEvent.State.PROCESSED`, `IGNORED` (nothing of ours), or `DEFERRED` (wait for another event).
"""

from collections.abc import Callable

from payments.models import StripeEvent

Handler = Callable[[StripeEvent], str]
_handlers: dict[str, Handler] = {}


def register(*event_types: str) -> Callable[[Handler], Handler]:
    """`@register("charge.refunded")` over a handler; registering one type twice is a programming error."""

    def decorate(handler: Handler) -> Handler:
        for event_type in event_types:
            existing = _handlers.get(event_type)
            if existing is not None and existing is not handler:
                raise RuntimeError(f"{event_type} already has a handler: {existing.__qualname__}")
            _handlers[event_type] = handler
        return handler

    return decorate


def handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)


def handled_event_types() -> list[str]:
    """What the webhook endpoint in Stripe's dashboard should send (the README lists them)."""
    return sorted(_handlers)
