from django.contrib import admin

from core.models import Suppression
from core.suppression import suppress


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "source", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        entry = suppress(email=obj.email, reason=obj.reason, source=obj.source or f"staff {request.user}")
        obj.pk = entry.pk
        obj.refresh_from_db()
