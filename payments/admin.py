from django.contrib import admin

from payments.models import StripeEvent


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "state", "attempts", "received_at", "processed_at"]
    list_filter = ["state", "type"]
    search_fields = ["id", "payment_intent_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
