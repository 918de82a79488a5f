"""Issue 13: a membership that gives access enrolls the member in its plan's premium programs, once per program,
however Stripe's events arrive (before, after or without each other, duplicated, shuffled); the API lists what
a membership grants; members are welcomed and their lessons say why they come. Driven through the emulator with
the real `stripe` library; events are POSTed, signed, to /stripe/webhook/."""

from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Subscription
from programs import lessons
from programs.models import Delivery, Enrollment
from tests.billing.conftest import join, pay
from tests.programs.conftest import member_enrollments, statuses, utc

pytestmark = pytest.mark.django_db
CHECKOUT = "checkout.session.completed"
CREATED = "customer.subscription.created"


def joined_and_paid(emu, plan, stripe_events, email="dana@example.com"):
    result = join(plan, email)
    pay(emu, result.session_id)
    return result, stripe_events.take()


def arranged(events: list[dict], arrangement: str) -> list[dict]:
    checkout = [event for event in events if event["type"] == CHECKOUT]
    others = [event for event in events if event["type"] != CHECKOUT]
    return {
        "checkout_first": checkout + others,
        "checkout_last": others + checkout,
        "without_subscription_created": [event for event in events if event["type"] != CREATED],
        "checkout_alone": checkout,
    }[arrangement]


def assert_one_set_of_enrollments(premium, email="dana@example.com"):
    balance, runners = premium
    enrolled = member_enrollments(email)
    assert [(e.program_id, e.status) for e in enrolled] == [(balance.pk, "active"), (runners.pk, "active")]
    for enrollment, program in zip(enrolled, premium, strict=True):
        assert enrollment.deliveries.count() == program.steps.count()
        assert enrollment.deliveries.filter(status=Delivery.Status.SCHEDULED).count() == program.steps.count()


@pytest.mark.parametrize(
    "arrangement", ["checkout_first", "checkout_last", "without_subscription_created", "checkout_alone"]
)
def test_checkout_completed_before_after_or_without_subscription_created_enrolls_once(
    stripe_api, premium, monthly, stripe_events, deliver, arrangement
):
    _, events = joined_and_paid(stripe_api, monthly, stripe_events)

    deliver(arranged(events, arrangement))

    assert Subscription.objects.get().status == Subscription.Status.ACTIVE
    assert_one_set_of_enrollments(premium)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_event_duplicated_and_shuffled_enrolls_once(stripe_api, premium, monthly, stripe_events, deliver, seed):
    _, events = joined_and_paid(stripe_api, monthly, stripe_events)

    deliver(events, shuffle_seed=seed, duplicate=True)
    deliver(events, shuffle_seed=seed + 10)  # and all of them once more, later

    assert Subscription.objects.count() == 1
    assert_one_set_of_enrollments(premium)
    assert Enrollment.objects.count() == 2


def test_the_subscription_api_lists_the_programs_its_plan_grants(
    api_client, stripe_api, premium, monthly, yearly, stripe_events, deliver
):
    result, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    retired = premium[1]
    retired.is_active = False
    retired.save()

    answer = api_client.get(f"/api/subscriptions/{result.subscription.token}/")

    assert answer.status_code == 200
    assert answer.json()["programs"] == [{"slug": "balance", "name": "Balance"}]  # active ones, by name


def test_a_member_is_welcomed_per_program_and_lessons_say_why_they_come(
    stripe_api, premium, monthly, stripe_events, deliver, welcomes_inline, send_now
):
    _, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events, duplicate=True)

    welcomes = sorted((m for m in mail.outbox if m.subject.startswith("Welcome to ") and "Coach" not in m.subject),
                      key=lambda m: m.subject)  # fmt: skip
    assert [m.subject for m in welcomes] == ["Welcome to Balance", "Welcome to Runners"]
    for message in welcomes:
        html = message.alternatives[0][0]
        for part in (message.body, html):
            assert "because you are a FoosFoot Coach member" in part
            assert "should the membership end, the lessons stop where they are" in part
    assert all(e.welcomed_at is not None for e in member_enrollments())

    mail.outbox.clear()
    first = Delivery.objects.order_by("due_at").first()
    send_now(first.due_at)
    lesson = next(m for m in mail.outbox if m.subject == first.step.subject)
    assert "You get Runners from Hod & Hod because you are a FoosFoot Coach member." in lesson.body
    assert lessons.origin_reason(Enrollment.Origin.MEMBER) == "because you are a FoosFoot Coach member"


def test_a_member_gets_lessons_on_the_clock_of_their_earlier_enrollment(
    stripe_api, premium, monthly, stripe_events, deliver
):
    Enrollment.objects.create(
        program=premium[0], email="Dana@Example.com", name="Dana", origin="staff", timezone="Asia/Tokyo", send_hour=9,
        status=Enrollment.Status.CANCELLED,
    )  # fmt: skip
    _, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)

    runners = Enrollment.objects.get(program=premium[1], origin=Enrollment.Origin.MEMBER)
    hour = premium[1].send_hour  # the program's (07:00 but for a run between 07:00 and 08:00)
    assert (runners.timezone, runners.name, runners.send_hour) == ("Asia/Tokyo", "Dana", hour)
    first = runners.deliveries.order_by("due_at").first().due_at
    assert first.astimezone(ZoneInfo("Asia/Tokyo")).hour == hour


def test_two_memberships_of_one_address_enroll_once_and_stop_only_when_the_last_ends(
    stripe_api, premium, monthly, yearly, stripe_events, deliver
):
    first, events = joined_and_paid(stripe_api, monthly, stripe_events)
    deliver(events)
    # Billing refuses a second join of a member (already_member); Stripe's dashboard does not: made so here.
    Subscription.objects.filter(pk=first.subscription.pk).update(email="other@example.com")
    second, more = joined_and_paid(stripe_api, yearly, stripe_events)
    Subscription.objects.filter(pk=first.subscription.pk).update(email="dana@example.com")
    deliver(more)
    assert statuses() == {"balance": "active", "runners": "active"}
    assert len(member_enrollments()) == 2

    stripe_api.cancel_subscription(Subscription.objects.get(pk=second.subscription.pk).stripe_subscription_id, {})
    deliver(stripe_events.take())
    assert Subscription.objects.get(pk=second.subscription.pk).status == Subscription.Status.CANCELED
    assert statuses() == {"balance": "active", "runners": "active"}  # the monthly one still grants both


def test_a_joins_queries_with_premium_programs_do_not_grow_with_the_members(
    stripe_api, premium, monthly, stripe_events, deliver
):
    def most_queries(email: str) -> dict[str, int]:
        _, events = joined_and_paid(stripe_api, monthly, stripe_events, email=email)
        most: dict[str, int] = {}
        for event in events:
            with CaptureQueriesContext(connection) as queries:
                deliver([event])
            most[event["type"]] = max(most.get(event["type"], 0), len(queries))
        return most

    most_queries("warm-up@example.com")  # the plan's first join also made its Stripe price
    few = most_queries("first@example.com")
    for n in range(40):
        _, events = joined_and_paid(stripe_api, monthly, stripe_events, email=f"member{n}@example.com")
        deliver(events)
    many = most_queries("second@example.com")

    assert many == few
    assert max(many.values()) <= 50
    assert Enrollment.objects.filter(origin=Enrollment.Origin.MEMBER).count() == 2 * 43


def test_the_manage_page_of_a_stopped_program_says_the_membership_ended(client, premium, monthly):
    enrollment = Enrollment.objects.create(
        program=premium[0], email="dana@example.com", origin="member", timezone="UTC", send_hour=8,
        status=Enrollment.Status.STOPPED, anchor_date=utc(2030, 1, 1).date(),
    )  # fmt: skip

    page = client.get(f"/programs/{enrollment.token}/").content.decode()

    assert "Stopped (membership ended)" in page
    assert "which has ended" in page and 'href="/membership/"' in page and "with lesson 1" in page
    refused = client.post(f"/programs/{enrollment.token}/", {"action": "resume"})
    assert refused.status_code == 400 and "continues where it stopped" in refused.content.decode()


def test_the_staff_preview_of_a_members_lesson_says_it_comes_with_the_membership(client, premium):
    staff = get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "a-long-password-123")
    client.force_login(staff)
    step = premium[0].steps.order_by("day").first()

    preview = client.get(f"/admin/programs/step/{step.pk}/preview/").content.decode()

    assert "because you are a FoosFoot Coach member" in preview
