"""What became of a sent lesson, as the admin shows it (issue 15): the enrollment's delivery rows, the list of
deliveries and its filters."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from programs import selectors
from programs.models import Delivery

# Field → label, in the order things happen to a lesson.
ENGAGEMENT_TIMES = [
    ("delivered_at", "Delivered"),
    ("opened_at", "Opened"),
    ("clicked_at", "Clicked"),
    ("scanner_clicked_at", "Link scanner"),
    ("bounced_at", "Bounced"),
    ("complained_at", "Marked as spam"),
    ("unsubscribed_at", "Unsubscribed after it"),
]


def engagement_summary(delivery: Delivery) -> SafeString | str:
    """One line per thing that happened, at the customer's time, and the click count; "–" for none."""
    lines = [
        (label, selectors.local_label(delivery.enrollment, getattr(delivery, field)))
        for field, label in ENGAGEMENT_TIMES
        if getattr(delivery, field) is not None
    ]
    if delivery.click_count:
        lines.append(("Link clicks", str(delivery.click_count)))
    return format_html_join("", "<div>{}: {}</div>", lines) if lines else "–"


def engagement_badges(delivery: Delivery) -> str:
    """What happened to the lesson in a few words for a list row ("Delivered · Opened · Clicked ×2"); "–" for none."""
    words = [label for field, label in ENGAGEMENT_TIMES if getattr(delivery, field) is not None]
    if delivery.click_count:
        words.append(f"{delivery.click_count} link click{'s' if delivery.click_count != 1 else ''}")
    return " · ".join(words) or "–"


class EngagementFilter(admin.SimpleListFilter):
    """Yes / no on one engagement time (`field`): the lessons that were clicked, or were not."""

    field = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})


def engagement_filter(field: str, title: str) -> type[EngagementFilter]:
    """A list filter named `title` on `field` (its query parameter is the field's name)."""
    return type(f"{field}_filter", (EngagementFilter,), {"field": field, "title": title, "parameter_name": field})


ENGAGEMENT_FILTERS = [
    engagement_filter("opened_at", "opened"),
    engagement_filter("clicked_at", "clicked"),
    engagement_filter("bounced_at", "bounced"),
    engagement_filter("unsubscribed_at", "unsubscribed after it"),
]


class DeliveryTimesMixin:
    """A delivery's due and sent times on the customer's clock, and its engagement: the inline and the list."""

    @admin.display(description="Due (customer's time)")
    def due_local(self, delivery: Delivery) -> str:
        return selectors.local_label(delivery.enrollment, delivery.due_at)

    @admin.display(description="Sent (customer's time)")
    def sent_local(self, delivery: Delivery) -> str:
        return selectors.local_label(delivery.enrollment, delivery.sent_at) or "–"

    @admin.display(description="Engagement (customer's time)")
    def engagement(self, delivery: Delivery) -> SafeString | str:
        return engagement_summary(delivery)
