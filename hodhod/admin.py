"""The admin of the libraries we install, held to our rule: an action that changes data names the
permission it needs (issue 10: without `permissions=`, Django offers an action to anyone who may
see the list, so staff with view-only rights could run it). And the order of the apps on the admin's
index and sidebar: the shop, used every day, first; the periodic tasks, rarely touched, last (issue 15)."""

import functools

from axes.admin import AccessAttemptAdmin as LibraryAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django_celery_beat.admin import PeriodicTaskAdmin as LibraryPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask


def requiring(permission: str, action):
    """The library's action, offered only to staff with `permission` on the model."""

    @functools.wraps(action)  # keeps its name and description
    def guarded(model_admin, request, queryset):
        return action(model_admin, request, queryset)

    guarded.allowed_permissions = (permission,)
    return guarded


class PeriodicTaskAdmin(LibraryPeriodicTaskAdmin):
    enable_tasks = requiring("change", LibraryPeriodicTaskAdmin.enable_tasks)
    disable_tasks = requiring("change", LibraryPeriodicTaskAdmin.disable_tasks)
    toggle_tasks = requiring("change", LibraryPeriodicTaskAdmin.toggle_tasks)
    run_tasks = requiring("change", LibraryPeriodicTaskAdmin.run_tasks)  # runs the task now


class AccessAttemptAdmin(LibraryAccessAttemptAdmin):
    # Without the library's "clean up expired attempts": it fails (a 500) outside a sign-in request,
    # and every sign-in already removes the expired ones. Lifting a lockout early is deleting its
    # row (delete_selected, which needs the delete permission).
    actions = []


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, PeriodicTaskAdmin)
admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)


FIRST_APPS = ("shop",)
LAST_APPS = ("django_celery_beat",)


def _app_position(app: dict) -> tuple[int, int]:
    label = app["app_label"]
    if label in FIRST_APPS:
        return (0, FIRST_APPS.index(label))
    if label in LAST_APPS:
        return (2, LAST_APPS.index(label))
    return (1, 0)  # the rest keep Django's alphabetical order (the sort is stable)


def in_our_order(get_app_list):
    """The site's `get_app_list`, its apps reordered by `_app_position`."""

    @functools.wraps(get_app_list)
    def ordered(request, app_label=None):
        return sorted(get_app_list(request, app_label), key=_app_position)

    return ordered


admin.site.get_app_list = in_our_order(admin.site.get_app_list)
