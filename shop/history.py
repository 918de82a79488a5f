"""The order's history: every change recorded as an order event, with who or what caused it."""

from shop.models import Order, OrderEvent


def _actor_label(user, stripe_event_id: str) -> str:
    if user is not None:
        return f"staff:{user.get_username()}"
    if stripe_event_id:
        return f"stripe:{stripe_event_id}"
    return "system"


def record_order_event(
    *, order: Order, kind: str, message: str, user=None, stripe_event_id: str = "", from_status="", to_status=""
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        message=message,
        from_status=from_status,
        to_status=to_status,
        actor_user=user,
        stripe_event_id=stripe_event_id,
        actor=_actor_label(user, stripe_event_id),
    )
