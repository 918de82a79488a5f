"""Issue 13: which programs a plan grants is declared on the program (`Program.plans`, picked on its admin page).
A plan that starts granting a program enrolls its current members (in batches; on the worker after commit for a
big plan); one that stops granting it stops the program for the members no other membership grants it to, and
they continue where they stopped if it is granted again. The demo's premium programs come with both plans."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import Plan, Subscription
from programs import memberships
from programs.demo import BALANCE_SLUG, RUNNERS_SLUG
from programs.models import Delivery, Enrollment, Program
from shop.page_cache import new_pages_generation
from tests.factories import program_with_steps
from tests.programs.conftest import member_enrollments, statuses

Status = Subscription.Status


def members(plan: Plan, count: int, *, start: int = 0, status: str = Status.ACTIVE, prefix: str = "member") -> None:
    """`count` memberships of the plan, as billing keeps them (no Stripe needed for what programs reads)."""
    Subscription.objects.bulk_create(
        Subscription(
            reference=f"HM-{prefix[:4].upper()}{plan.pk}{index:05d}",
            email=f"{prefix}{index}@example.com",
            plan=plan,
            status=status,
            has_access=status in Subscription.ACCESS_STATUSES,
            amount=plan.price,
            currency="USD",
            interval=plan.interval,
            stripe_subscription_id=f"sub_{prefix}{plan.pk}_{index}",
        )
        for index in range(start, start + count)
    )


def member_statuses(program: Program) -> dict[str, str]:
    rows = Enrollment.objects.filter(program=program, origin=Enrollment.Origin.MEMBER).values_list("email", "status")
    return dict(rows)


@pytest.mark.django_db
def test_a_plan_that_starts_granting_a_program_enrolls_its_current_members_once(
    monthly, django_capture_on_commit_callbacks
):
    members(monthly, 3)
    members(monthly, 1, prefix="gone", status=Status.CANCELED)
    program = program_with_steps(4, name="Balance", slug="balance")

    with django_capture_on_commit_callbacks() as callbacks:
        program.plans.add(monthly)
        program.plans.add(monthly)  # again: nothing more
    welcomes = [callback for callback in callbacks if callback is not new_pages_generation]  # the page cache's

    assert member_statuses(program) == {f"member{n}@example.com": "active" for n in range(3)}
    assert Delivery.objects.filter(status=Delivery.Status.SCHEDULED).count() == 3 * 4
    assert len(welcomes) == 3  # one welcome each, queued after the commit
    enrollment = Enrollment.objects.filter(program=program).first()
    assert (enrollment.anchor_day, enrollment.confirmed_at is not None, enrollment.send_hour) == (0, True, 8)


@pytest.mark.django_db
def test_a_plan_that_stops_granting_a_program_stops_it_but_for_members_another_plan_grants_it_to(monthly, yearly):
    program = program_with_steps(4, name="Balance", slug="balance")
    program.plans.add(monthly, yearly)
    members(monthly, 1, prefix="dana")
    members(yearly, 1, prefix="eli")
    memberships.sync_program_members(program_id=program.pk)
    dana = Enrollment.objects.get(email="dana0@example.com")
    dana.deliveries.filter(step__day=0).update(status=Delivery.Status.SENT)  # lesson 1 went out

    program.plans.remove(monthly)

    assert member_statuses(program) == {"dana0@example.com": "stopped", "eli0@example.com": "active"}
    assert list(dana.deliveries.order_by("step__day").values_list("status", flat=True)) == [
        "sent", "cancelled", "cancelled", "cancelled",
    ]  # fmt: skip

    monthly.granted_programs.add(program)  # granted again, from the plan's side: dana continues with lesson 2
    dana.refresh_from_db()
    assert (dana.status, dana.anchor_day) == ("active", 1)
    assert dana.deliveries.filter(status=Delivery.Status.SCHEDULED).count() == 3

    yearly.granted_programs.clear()
    monthly.granted_programs.clear()
    assert member_statuses(program) == {"dana0@example.com": "stopped", "eli0@example.com": "stopped"}


@pytest.mark.django_db
def test_a_retired_program_takes_no_new_members_and_the_running_ones_go_on(monthly):
    program = program_with_steps(2, name="Old", slug="old")
    program.plans.add(monthly)
    members(monthly, 1)
    memberships.sync_program_members(program_id=program.pk)
    Program.objects.filter(pk=program.pk).update(is_active=False)
    members(monthly, 1, start=1)

    memberships.sync_program_members(program_id=program.pk)
    memberships.sync_member(email="member0@example.com")

    assert member_statuses(program) == {"member0@example.com": "active"}


@pytest.mark.django_db
def test_a_program_pass_costs_the_same_queries_per_batch_whatever_the_plan_s_size(monthly):
    def queries_for(count: int, tag: str) -> int:
        Subscription.objects.all().delete()
        members(monthly, count, prefix=tag)
        program = program_with_steps(3, name=tag, slug=tag)
        program.plans.through.objects.create(program=program, plan=monthly)  # no signal: timed below
        with CaptureQueriesContext(connection) as queries:
            counts = memberships.sync_program_members(program_id=program.pk, batch_size=5)
        assert counts["enrolled"] == count
        return len(queries)

    two, four, six = queries_for(10, "two"), queries_for(20, "four"), queries_for(30, "six")

    assert six - four == four - two  # the same for each batch of five
    assert (four - two) / 2 <= 12


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_big_plan_gets_its_new_program_from_the_worker_after_the_commit(celery_worker, monthly, monkeypatch):
    monkeypatch.setattr(memberships, "INLINE_MEMBERS", 3)
    members(monthly, 12)
    program = program_with_steps(2, name="Balance", slug="balance")

    with transaction.atomic():
        monthly.granted_programs.add(program)
        assert not Enrollment.objects.exists()  # not in the request that saved it

    deadline = time.monotonic() + 20
    while Enrollment.objects.filter(program=program).count() < 12:
        assert time.monotonic() < deadline, "the worker did not enroll the plan's members"
        time.sleep(0.1)
    assert Delivery.objects.filter(enrollment__program=program).count() == 24


@pytest.mark.django_db
def test_staff_pick_the_plans_on_the_program_page_and_its_members_are_enrolled(client, monthly, yearly):
    members(yearly, 2)
    program = program_with_steps(2, name="Runners", slug="runners", send_hour=7)
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@hodhod.example", "long-password-123"))

    answer = client.post(
        f"/admin/programs/program/{program.pk}/change/",
        {
            "name": "Runners",
            "slug": "runners",
            "send_hour": 7,
            "send_weekdays": [0, 1, 2, 3, 4, 5, 6],
            "is_active": "on",
            "plans": [monthly.pk, yearly.pk],
        },
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert set(program.plans.all()) == {monthly, yearly}
    assert member_statuses(program) == {"member0@example.com": "active", "member1@example.com": "active"}


@pytest.mark.django_db
def test_seed_demo_grants_two_premium_programs_with_both_coach_plans_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)

    coach = set(Plan.objects.filter(slug__startswith="foosfoot-coach-"))
    assert len(coach) == 2
    for slug, lessons in ((BALANCE_SLUG, 8), (RUNNERS_SLUG, 6)):
        program = Program.objects.get(slug=slug)
        assert set(program.plans.all()) == coach and not program.granted_by.exists()
        assert program.steps.count() == lessons and not program.is_public
    assert Program.objects.filter(slug__in=[BALANCE_SLUG, RUNNERS_SLUG], plans__isnull=False).count() == 4


def test_no_member_enrollments_are_left_for_an_unrelated_address(db, premium):
    memberships.sync_member(email="Nobody@Example.com")
    assert member_enrollments("nobody@example.com") == [] and statuses("nobody@example.com") == {}


@pytest.mark.django_db(transaction=True)
def test_announcements_and_a_program_pass_at_the_same_moment_enroll_each_member_once(monthly):
    program = program_with_steps(3, name="Balance", slug="balance")
    program.plans.through.objects.create(program=program, plan=monthly)
    members(monthly, 5)
    barrier, errors = threading.Barrier(8), []

    def at_once(work):
        try:
            barrier.wait(timeout=10)
            work()
        except Exception as error:  # noqa: BLE001 - reported below: the thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    works = [lambda: memberships.sync_member(email="member0@example.com")] * 6
    works += [lambda: memberships.sync_program_members(program_id=program.pk)] * 2
    threads = [threading.Thread(target=at_once, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert Enrollment.objects.filter(program=program).count() == 5
    assert Delivery.objects.filter(enrollment__program=program).count() == 5 * 3
