"""Issue 10, items 1 and 10: the programs admin acts only for staff allowed to.

Item 1: every admin action that changes data declares the permission it needs, so a staff user
who may only look at programs is neither offered an action nor able to run it by posting it.
Item 10: the lesson preview pages need the step's view permission; sending a test needs change.
"""

import pytest
from django.contrib import admin

from programs import enrollments
from programs.models import Delivery, Enrollment
from tests.factories import program_with_steps
from tests.programs.conftest import signed_in_staff, utc

pytestmark = pytest.mark.django_db

PROGRAMS_MODELS = ["program", "step", "enrollment", "delivery"]


@pytest.fixture
def viewer(client):
    """Staff who may look at every programs model and change none."""
    return signed_in_staff(client, "viewer", [f"view_{model}" for model in PROGRAMS_MODELS])


@pytest.fixture
def enrollment():
    return enrollments.enroll(
        program=program_with_steps(2),
        email="pat@example.com",
        origin="staff",
        timezone_name="Europe/Berlin",
        now=utc(2026, 5, 4, 5),
    )


def _snapshot(enrollment: Enrollment) -> tuple:
    enrollment.refresh_from_db()
    deliveries = list(enrollment.deliveries.order_by("pk").values_list("status", "due_at", "attempts", "last_error"))
    return enrollment.status, enrollment.paused_at, enrollment.anchor_date, deliveries


def _run_action(client, model: str, action: str, pks: list[int]):
    return client.post(f"/admin/programs/{model}/", {"action": action, "_selected_action": pks})


# --- item 1: admin actions -------------------------------------------------------------------


def test_issue10_item1_every_programs_action_declares_a_permission():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "programs":
            continue
        for func, name, _ in model_admin._get_base_actions():
            assert getattr(func, "allowed_permissions", None), f"{model.__name__} action {name} declares no permission"


@pytest.mark.parametrize("action", ["pause_selected", "resume_selected", "cancel_selected", "resend_failed"])
def test_issue10_item1_view_only_staff_cannot_run_an_enrollment_action(viewer, enrollment, action):
    if action == "resume_selected":
        enrollments.pause(enrollment=enrollment, now=utc(2026, 5, 4, 6))
    if action == "resend_failed":
        enrollment.deliveries.filter(step__day=0).update(status=Delivery.Status.FAILED, last_error="550")
    before = _snapshot(enrollment)
    response = _run_action(viewer, "enrollment", action, [enrollment.pk])
    assert response.status_code in (200, 302)
    assert _snapshot(enrollment) == before
    listing = viewer.get("/admin/programs/enrollment/")
    assert listing.status_code == 200 and f'value="{action}"'.encode() not in listing.content  # not offered


def test_issue10_item1_view_only_staff_cannot_send_test_lessons(viewer, mailbox):
    step = program_with_steps(1).steps.get()
    _run_action(viewer, "step", "send_test_to_me", [step.pk])
    assert len(mailbox) == 0
    listing = viewer.get("/admin/programs/step/")
    assert listing.status_code == 200 and b'value="send_test_to_me"' not in listing.content


def test_issue10_item1_view_only_staff_cannot_delete_through_an_action(viewer, enrollment):
    program = enrollment.program
    for model, pk in [("enrollment", enrollment.pk), ("program", program.pk), ("step", program.steps.first().pk)]:
        viewer.post(f"/admin/programs/{model}/", {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
    assert Enrollment.objects.filter(pk=enrollment.pk).exists() and program.steps.count() == 2


def test_issue10_item1_staff_who_may_change_enrollments_still_run_the_actions(client, enrollment):
    editor = signed_in_staff(client, "editor", ["view_enrollment", "change_enrollment"])
    assert _run_action(editor, "enrollment", "pause_selected", [enrollment.pk]).status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.PAUSED


# --- item 10: the preview and send-test views ----------------------------------------------


@pytest.fixture
def step():
    return program_with_steps(1).steps.get()


def test_issue10_item10_preview_pages_need_the_view_permission(client, step):
    stranger = signed_in_staff(client, "stranger", ["view_enrollment"])
    assert stranger.get(f"/admin/programs/step/{step.pk}/preview/").status_code == 403
    html = stranger.get(f"/admin/programs/step/{step.pk}/preview/html/")
    assert html.status_code == 403 and b"10 slow points" not in html.content


def test_issue10_item10_preview_pages_open_with_the_view_permission(client, step):
    reader = signed_in_staff(client, "reader", ["view_step"])
    page = reader.get(f"/admin/programs/step/{step.pk}/preview/")
    assert page.status_code == 200 and b"10 slow points" in page.content
    assert b"send-test" not in page.content  # no button for what they may not do
    assert reader.get(f"/admin/programs/step/{step.pk}/preview/html/").status_code == 200


@pytest.mark.parametrize("codenames", [[], ["view_step"], ["view_program", "change_program"]])
def test_issue10_item10_send_test_needs_the_change_permission(client, step, mailbox, codenames):
    staff = signed_in_staff(client, "staff", codenames)
    assert staff.post(f"/admin/programs/step/{step.pk}/send-test/").status_code == 403
    assert staff.get(f"/admin/programs/step/{step.pk}/send-test/").status_code == 403
    assert len(mailbox) == 0


def test_issue10_item10_send_test_works_with_the_change_permission(client, step, mailbox):
    editor = signed_in_staff(client, "editor", ["view_step", "change_step"])
    assert b"send-test" in editor.get(f"/admin/programs/step/{step.pk}/preview/").content
    assert editor.post(f"/admin/programs/step/{step.pk}/send-test/").status_code == 302
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "editor@hodhod.example"
