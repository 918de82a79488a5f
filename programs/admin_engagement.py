"""What became of a sent lesson, as the enrollment's delivery rows show it in the admin (issue 15)."""

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
