"""Celery tasks of the drip scheduler; the logic lives in programs.dispatch."""

from celery import shared_task

from programs import dispatch, services
from programs.models import Step


@shared_task(name="programs.dispatch_due_deliveries", ignore_result=True)
def dispatch_due_deliveries() -> int:
    """The beat tick (every minute): one dispatch pass."""
    return dispatch.dispatch_due_deliveries()


@shared_task(
    bind=True,
    name="programs.send_delivery",
    acks_late=True,  # a worker killed mid-send leaves the message to be redelivered
    reject_on_worker_lost=True,
    max_retries=dispatch.MAX_RETRIES,
    ignore_result=True,
)
def send_delivery(self, delivery_id: int) -> str:
    outcome = dispatch.deliver(delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries)
    if outcome is dispatch.Outcome.RETRY:
        raise self.retry(countdown=dispatch.retry_countdown(self.request.retries))
    return str(outcome)


@shared_task(name="programs.schedule_step", ignore_result=True, acks_late=True)
def schedule_step(step_id: int) -> str:
    """A lesson added to (or moved in) a big program reaches its enrollments; idempotent, so a redelivery is safe."""
    step = Step.objects.select_related("program").filter(pk=step_id).first()
    if step is None:  # deleted before the worker got to it
        return "gone"
    return str(services.schedule_step_for_enrollments(step=step))
