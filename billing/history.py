"""A subscription's history: every change recorded as a subscription event, with who or what caused it."""

from billing.models import Subscription, SubscriptionEvent

SYSTEM = "system"


def stripe_actor(event_id: str) -> str:
    return f"stripe:{event_id}"


def staff_actor(user) -> str:
    return f"staff:{user.get_username()}"


def record_subscription_event(
    *, subscription: Subscription, kind: str, actor: str, message: str = "", from_status: str = "", to_status: str = ""
) -> SubscriptionEvent:
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=kind,
        actor=actor[:255],
        message=message,
        from_status=from_status,
        to_status=to_status,
    )
