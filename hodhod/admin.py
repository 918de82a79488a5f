"""The admin of the libraries we install, held to our rule: an action that changes data names the
permission it needs (issue 10: without `permissions=`, Django offers an action to anyone who may
see the list, so staff with view-only rights could run it)."""

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
