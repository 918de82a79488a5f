"""Issue 10, item 1: staff with view-only rights run no admin action that changes data.

An action with no `permissions=` is offered to anyone who can see the list, so every action
registered on the admin site must declare who may run it. One that only reads (a CSV export, a
packing slip) declares `permissions=["view"]`; every other one must be hidden from a staff user
who holds nothing but the `view_<model>` permissions.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

READ_ONLY = ("view",)


def every_registered_action() -> list[tuple[type, admin.ModelAdmin, str, object]]:
    """(model, its ModelAdmin, action name, action function) for every action of every registered
    model: the site-wide ones (delete_selected) and the ModelAdmin's own, as Django gathers them."""
    found = []
    for model, model_admin in admin.site._registry.items():
        if model_admin.actions is None:  # actions switched off for this model
            continue
        actions = dict(admin.site.actions)
        for action in model_admin.actions:
            function, name, _description = model_admin.get_action(action)
            actions[name] = function
        found.extend((model, model_admin, name, function) for name, function in actions.items())
    return found


@pytest.fixture
def view_only_staff(django_user_model):
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "pw-viewer-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return django_user_model.objects.get(pk=user.pk)  # fresh: no permission cache


def admin_request(model, user):
    request = RequestFactory().get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    request.user = user
    return request


def test_issue10_item1_view_only_staff_cannot_run_any_admin_action(view_only_staff):
    walked = every_registered_action()
    assert {"delete_selected", "publish", "unpublish"} <= {name for _, _, name, _ in walked}  # the walk sees them

    problems = []
    for model, model_admin, name, function in walked:
        label = f"{model._meta.label}: {name}"
        if not hasattr(function, "allowed_permissions"):
            problems.append(f"{label} declares no permissions (anyone who can see the list may run it)")
            continue
        if tuple(function.allowed_permissions) == READ_ONLY:
            continue  # only reads: exports, printouts
        assert model_admin.has_view_permission(admin_request(model, view_only_staff)), label
        if name in model_admin.get_actions(admin_request(model, view_only_staff)):
            problems.append(f"{label} is offered to view-only staff ({tuple(function.allowed_permissions)})")
    assert not problems, "\n".join(problems)
