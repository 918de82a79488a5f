from django.contrib import admin

from core.models import Suppression
from core.suppression import suppress


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "source", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an entry to another address would lift the old one and block the new one without
        # the announcement that stops mail already queued for it: a new address is a new entry.
        return ["email", "email_hash", "created_at"] if obj is not None else ["created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:  # an erased person's entry (only a hash) is made by erasure, never typed in
            form.base_fields["email"].required = True
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        entry = suppress(email=obj.email, reason=obj.reason, source=obj.source or f"staff {request.user}")
        obj.pk = entry.pk
        obj.refresh_from_db()
