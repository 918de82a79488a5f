"""The worker's side of `POST /stripe/webhook/` under `STRIPE_WEBHOOK_APPLY=worker`: apply a stored event."""

from celery import shared_task

from payments.events import apply_stored_event


@shared_task(
    name="payments.apply_stripe_event",
    acks_late=True,  # a worker killed mid-task leaves it queued; the event's row lock makes a second run a no-op
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=8,  # then it stays `failed`, and reconciliation (every five minutes) tries it again
)
def apply_stripe_event(event_id: str) -> str:
    return apply_stored_event(event_id=event_id)
