"""Which apps apply which Stripe event type.

An app registers its handlers when it is ready (`AppConfig.ready`): `payments` knows no app,
it hands each stored event to every handler registered for its type, in the order they were
registered. Several apps may handle one type (the shop's Checkout Sessions are `mode=payment`,
the memberships' `mode=subscription`): each handler decides whether the object is its own.
A handler runs inside the event's transaction, with the event row locked, and answers
`StripeEvent.State.PROCESSED`, `IGNORED` (nothing of its own), or `DEFERRED` (wait for another
event); `combined_state` makes one state of the answers.
"""

from collections.abc import Callable

from payments.models import StripeEvent

Handler = Callable[[StripeEvent], str]
_handlers: dict[str, list[Handler]] = {}


def register(*event_types: str) -> Callable[[Handler], Handler]:
    """`@register("charge.refunded")` over a handler; registering the same handler again changes nothing."""

    def decorate(handler: Handler) -> Handler:
        for event_type in event_types:
            registered = _handlers.setdefault(event_type, [])
            if handler not in registered:
                registered.append(handler)
        return handler

    return decorate


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers of `event_type`, in the order they were registered (empty: nobody handles it)."""
    return list(_handlers.get(event_type, ()))


def combined_state(states: list[str]) -> str:
    """One state for the answers of several handlers: processed if any processed it (the event did its
    work), else deferred if any is waiting for another event, else ignored."""
    if StripeEvent.State.PROCESSED in states:
        return StripeEvent.State.PROCESSED
    if StripeEvent.State.DEFERRED in states:
        return StripeEvent.State.DEFERRED
    return StripeEvent.State.IGNORED


def handled_event_types() -> list[str]:
    """What the webhook endpoint in Stripe's dashboard should send (the README lists them)."""
    return sorted(event_type for event_type, handlers in _handlers.items() if handlers)
