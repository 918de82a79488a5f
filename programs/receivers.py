"""What programs does when the shop, billing or the mail provider announces something.

Bodies stay one call long: the work is in programs.enrollments and programs.scheduling.
"""

import logging

from anymail.signals import tracking
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.dispatch import receiver

from billing.signals import membership_ended, membership_started
from core.models import Suppression
from core.suppression import address_suppressed, suppress
from programs import engagement, enrollments, memberships, scheduling, tasks
from programs.models import Program, Step
from programs.signals import enrollment_started
from shop.signals import order_paid, order_refunded

logger = logging.getLogger(__name__)


@receiver(order_paid, dispatch_uid="programs.enroll_paid_order")
def enroll_paid_order(sender, order, **kwargs):
    enrollments.enroll_order(order=order)


@receiver(enrollment_started, dispatch_uid="programs.welcome_started_enrollment")
def welcome_started_enrollment(sender, enrollment_id, **kwargs):
    tasks.queue_welcome(enrollment_id)


@receiver(order_refunded, dispatch_uid="programs.cancel_refunded_order")
def cancel_refunded_order(sender, order, **kwargs):
    enrollments.cancel_order_enrollments(order=order)


@receiver(membership_started, dispatch_uid="programs.start_member_programs")
def start_member_programs(sender, email, subscription, **kwargs):
    memberships.sync_member(email=email)


@receiver(membership_ended, dispatch_uid="programs.stop_member_programs")
def stop_member_programs(sender, email, subscription, **kwargs):
    memberships.sync_member(email=email)


@receiver(m2m_changed, sender=Program.plans.through, dispatch_uid="programs.follow_granting_plans")
def follow_granting_plans(sender, instance, action, reverse, pk_set, **kwargs):
    memberships.plans_changed(
        instance=instance, action=action, reverse=reverse, pk_set=pk_set, sync_later=tasks.sync_program_members.delay
    )


# anymail's normalised event types that mean "stop mailing this address".
_SUPPRESSING_EVENTS = {"bounced": Suppression.Reason.HARD_BOUNCE, "complained": Suppression.Reason.COMPLAINT}


@receiver(tracking, dispatch_uid="programs.suppress_on_bounce_or_complaint")
def suppress_on_bounce_or_complaint(sender, event, esp_name, **kwargs):
    reason = _SUPPRESSING_EVENTS.get(event.event_type)
    if reason and event.recipient:
        suppress(email=event.recipient, reason=reason, source=f"{esp_name} {event.event_id or ''}".strip())


@receiver(tracking, dispatch_uid="programs.record_lesson_engagement")
def record_lesson_engagement(sender, event, esp_name, **kwargs):
    engagement.record_tracking_event(event=event)


@receiver(address_suppressed, dispatch_uid="programs.end_enrollments_of_suppressed")
def end_enrollments_of_suppressed(sender, email, reason, **kwargs):
    enrollments.end_enrollments_of_suppressed(email=email, reason=reason)


@receiver(post_save, sender=Step, dispatch_uid="programs.schedule_saved_step")
def schedule_saved_step(sender, instance, created, raw=False, **kwargs):
    if not raw:  # fixtures load rows as they are
        scheduling.step_saved(step=instance, created=created, schedule_later=tasks.schedule_step.delay)


@receiver(pre_delete, sender=Step, dispatch_uid="programs.unschedule_deleted_step")
def unschedule_deleted_step(sender, instance, **kwargs):
    scheduling.unschedule_step(step=instance)
