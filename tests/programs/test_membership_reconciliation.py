"""Issue 13: a webhook lost for good. `manage.py reconcile_stripe` brings the membership in line with Stripe's
copy, billing announces the change of access, and the member's enrollments follow: started for a membership
whose every event was lost, stopped for one whose end was lost."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import Subscription
from programs.models import Delivery
from tests.billing.conftest import DAY, join, pay
from tests.programs.conftest import member_enrollments, statuses

pytestmark = pytest.mark.django_db
Status = Subscription.Status


def reconcile(django_capture_on_commit_callbacks, *args) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reconcile_stripe", *args)


def test_a_membership_whose_events_were_all_lost_enrolls_the_member_at_reconciliation(
    stripe_api, premium, monthly, stripe_events, django_capture_on_commit_callbacks
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    stripe_events.take()  # lost for good
    assert member_enrollments() == []

    reconcile(django_capture_on_commit_callbacks, "--all")

    assert Subscription.objects.get(pk=result.subscription.pk).status == Status.ACTIVE
    assert statuses() == {"balance": "active", "runners": "active"}
    assert Delivery.objects.filter(status=Delivery.Status.SCHEDULED).count() == 6 + 3
    reconcile(django_capture_on_commit_callbacks, "--all")  # a second pass changes nothing
    assert Delivery.objects.count() == 6 + 3 and len(member_enrollments()) == 2


def test_an_end_whose_events_were_lost_stops_the_lessons_at_the_next_periodic_pass(
    stripe_api, premium, monthly, stripe_events, deliver, django_capture_on_commit_callbacks
):
    result = join(monthly)
    pay(stripe_api, result.session_id)
    deliver(stripe_events.take())
    member = Subscription.objects.select_related("customer").get(pk=result.subscription.pk)
    stripe_api.set_card_failing(member.customer.stripe_customer_id, True)
    stripe_api.advance_clock((31 + 3 + 5 + 7) * DAY)  # declined, retried three times, canceled by Stripe
    stripe_events.take()  # every one of those events lost
    assert statuses() == {"balance": "active", "runners": "active"}

    # Not synced for more than a day: the periodic pass (no --all) asks Stripe about it.
    Subscription.objects.filter(pk=member.pk).update(last_synced_at=timezone.now() - dt.timedelta(days=2))
    reconcile(django_capture_on_commit_callbacks)

    assert Subscription.objects.get(pk=member.pk).status == Status.CANCELED
    assert statuses() == {"balance": "stopped", "runners": "stopped"}
    assert not Delivery.objects.filter(status=Delivery.Status.SCHEDULED).exists()
