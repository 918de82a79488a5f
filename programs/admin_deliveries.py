"""The admin's list of every lesson sent or due (issue 15): what the dashboard's lesson figures link to.

Read-only: a delivery is written by the send path and by the ESP's events, never by hand (a saved form would
put back an engagement time that an event had just recorded). The one change staff make is the resend of
failed lessons, an action that needs the change permission. The list stays fast on millions of rows: newest
first by primary key, filters that make no query over the deliveries, an exact-address search on the
enrollment's UPPER(email) index, and no count of the whole table.
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import Truncator

from programs import dispatch
from programs.admin_engagement import ENGAGEMENT_FILTERS, DeliveryTimesMixin, engagement_badges
from programs.models import Delivery

ERROR_LENGTH = 60
# Above this many rows (the planner's estimate) an unfiltered list shows the estimate rather than counting.
ESTIMATE_ABOVE = 100_000


class EstimatedCountPaginator(Paginator):
    """Counts a filtered list; the whole table is counted from PostgreSQL's statistics once it is large (an exact
    count(*) of millions of rows on each page view would take seconds)."""

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        if not query.where and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [query.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] > ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


class DeliveryAdmin(DeliveryTimesMixin, admin.ModelAdmin):
    list_display = [
        "lesson",
        "recipient",
        "status",
        "due_local",
        "sent_local",
        "engagement_short",
        "attempts",
        "error_short",
    ]
    list_filter = [
        "status",
        "step__program",
        "enrollment__origin",
        ("sent_at", admin.DateFieldListFilter),
        *ENGAGEMENT_FILTERS,
    ]
    list_select_related = ["step__program", "enrollment"]
    # `=`: an exact address in any case, UPPER(email) = UPPER(…), which the enrollment_email_upper index serves
    # (a substring search would read every enrollment).
    search_fields = ["=enrollment__email"]
    search_help_text = "An email address, in full (any case)."
    ordering = ["-id"]  # the newest rows first, by the primary key's index
    sortable_by = []  # sorting millions of rows by a column without an index would take seconds
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["resend_failed"]
    fieldsets = [
        (None, {"fields": ["lesson", "recipient", "status", "attempts", "last_error", "message_id"]}),
        ("When", {"fields": ["due_at", "due_local", "claimed_at", "sent_at", "sent_local"]}),
        ("Engagement", {"fields": ["engagement", "click_count"]}),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step__program", "enrollment")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        """Without an object (the list's actions) as the user's rights say; a delivery's own page is read-only
        for everyone, and a POST to it is refused."""
        return obj is None and super().has_change_permission(request)

    @admin.display(description="Lesson")
    def lesson(self, delivery: Delivery) -> str:
        return f"{delivery.step.program.name} · lesson {delivery.step.day + 1}"

    @admin.display(description="Recipient")
    def recipient(self, delivery: Delivery):
        url = reverse("admin:programs_enrollment_change", args=[delivery.enrollment_id])
        return format_html('<a href="{}">{}</a>', url, delivery.enrollment.email)

    @admin.display(description="Engagement")
    def engagement_short(self, delivery: Delivery) -> str:
        return engagement_badges(delivery)

    @admin.display(description="Last error")
    def error_short(self, delivery: Delivery):
        if not delivery.last_error:
            return "–"
        return format_html(
            '<span title="{}">{}</span>', delivery.last_error, Truncator(delivery.last_error).chars(ERROR_LENGTH)
        )

    @admin.action(description="Resend the selected failed lessons", permissions=["change"])
    def resend_failed(self, request, queryset):
        count = dispatch.resend_failed_deliveries(queryset)
        self.message_user(request, f"{count} failed lesson(s) will be sent on the next pass.")
