"""How the shop writes money, times and statuses for people: one helper each, used by the admin, the
emails and the exports, so staff never meet "59.0" in one column and "59.00 USD" in the next, or a time
without its zone (issue 11, items 11 and 12)."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from django.utils import timezone

from payments.money import currency_exponent
from shop.models import Order


def format_money(amount: Decimal | int | None, currency: str) -> str:
    """ "59.00 USD": the amount with its currency's decimals (none for yen), then the ISO code."""
    if amount is None:
        return "—"
    places = min(currency_exponent(currency or "usd"), 2)
    return f"{Decimal(amount):.{places}f} {(currency or '').upper()}".strip()


def format_time(moment: datetime | None) -> str:
    """ "2026-11-30 14:05 CET": a time in the shop's display zone (TIME_ZONE), with the zone said."""
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def format_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC, to the second ("2026-11-30T13:05:00Z"): for files other programs read."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def status_label(status: str) -> str:
    """ "Pending payment" for "pending_payment"; an unknown value as it is."""
    try:
        return Order.Status(status).label
    except ValueError:
        return status


def status_change(from_status: str, to_status: str) -> str:
    """ "Pending payment → Paid" (or just "Paid" for an order's first status)."""
    if not to_status:
        return ""
    return f"{status_label(from_status)} → {status_label(to_status)}" if from_status else status_label(to_status)


TRACKING_URLS = {
    # Carriers' public tracking pages; an unknown carrier gets the number without a link.
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}",
}


def tracking_url(carrier: str, number: str) -> str:
    """The carrier's tracking page for `number`, or "" when the carrier is not one we know."""
    key = re.sub(r"[^a-z]", "", (carrier or "").lower())
    template = next((url for name, url in TRACKING_URLS.items() if key.startswith(name)), "")
    return template.format(number=quote(number.strip(), safe="")) if template and number.strip() else ""
