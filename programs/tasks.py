"""Celery tasks of the drip scheduler; the logic lives in programs.dispatch and programs.scheduling.

The arrows point one way: this module imports them, never the reverse. Where they need a
task queued they are handed the function that queues it (`enqueue_sends`,
`schedule_step.delay`).
"""

import logging
from collections.abc import Iterable

from celery import shared_task

from programs import dispatch, memberships, scheduling, welcome
from programs.models import Step

logger = logging.getLogger(__name__)


@shared_task(name="programs.dispatch_due_deliveries", ignore_result=True)
def dispatch_due_deliveries() -> int:
    """The beat tick (every minute): one dispatch pass."""
    return dispatch.dispatch_due_deliveries(enqueue=enqueue_sends)


SEND_CHUNK = 50  # deliveries per send task: one mail connection each, and a small message on the broker


@shared_task(
    name="programs.send_deliveries",
    acks_late=True,  # a worker killed mid-batch leaves the message to be redelivered (sent rows are skipped)
    reject_on_worker_lost=True,
    ignore_result=True,
)
def send_deliveries(delivery_ids: list[int]) -> str:
    """A chunk of claimed deliveries over one mail connection; a transient failure retries that delivery alone."""
    outcomes = dispatch.deliver_batch(delivery_ids=delivery_ids, retry_later=retry_delivery_later)
    return " ".join(f"{outcome}={outcomes.count(outcome)}" for outcome in sorted(set(outcomes)))


@shared_task(
    name="programs.send_delivery",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def send_delivery(delivery_id: int) -> str:
    """One delivery: a retry of a transient failure (the row's attempts count the tries and decide the last)."""
    (outcome,) = dispatch.deliver_batch(delivery_ids=[delivery_id], retry_later=retry_delivery_later)
    return str(outcome)


def retry_delivery_later(delivery_id: int, countdown: float) -> None:
    send_delivery.apply_async((delivery_id,), countdown=countdown)


def enqueue_sends(ids: Iterable[int]) -> None:
    """Send tasks for the claimed deliveries, `SEND_CHUNK` ids each; a dispatch pass calls this after its claim
    commits."""
    ids = list(ids)
    for start in range(0, len(ids), SEND_CHUNK):
        send_deliveries.delay(ids[start : start + SEND_CHUNK])


@shared_task(name="programs.schedule_step", ignore_result=True, acks_late=True)
def schedule_step(step_id: int) -> str:
    """A lesson added to (or moved in) a big program reaches its enrollments; idempotent, so a redelivery is safe."""
    step = Step.objects.select_related("program").filter(pk=step_id).first()
    if step is None:  # deleted before the worker got to it
        return "gone"
    return str(scheduling.schedule_step_for_enrollments(step=step))


@shared_task(name="programs.sync_program_members", ignore_result=True, acks_late=True)
def sync_program_members(program_id: int) -> str:
    """A plan that starts (or stops) granting a program with many members: their enrollments follow, in batches;
    idempotent (it reads which plans grant the program now), so a redelivery is safe."""
    return str(memberships.sync_program_members(program_id=program_id))


@shared_task(
    bind=True,
    name="programs.send_welcome",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=dispatch.MAX_RETRIES,
    ignore_result=True,
)
def send_welcome(self, enrollment_id: int) -> str:
    """The welcome email of a new enrollment; a redelivery or a second queueing sends nothing twice."""
    outcome = welcome.send_welcome(enrollment_id=enrollment_id, final_attempt=self.request.retries >= self.max_retries)
    if outcome is dispatch.Outcome.RETRY:
        raise self.retry(countdown=dispatch.retry_countdown(self.request.retries))
    return str(outcome)


def queue_welcome(enrollment_id: int) -> None:
    """Hand the welcome to the worker; with the broker away, send it here, once, without retries."""
    try:
        send_welcome.delay(enrollment_id)
    except Exception:  # noqa: BLE001 - the broker is down: the customer still hears from us
        logger.warning("could not queue the welcome of enrollment %s; sending it now", enrollment_id, exc_info=True)
        try:
            welcome.send_welcome(enrollment_id=enrollment_id, final_attempt=True)
        except Exception:  # noqa: BLE001 - the enrollment stands; only the welcome is missing
            logger.exception("the welcome of enrollment %s was not sent", enrollment_id)
