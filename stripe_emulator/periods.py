"""Billing periods: the end of a period that starts at a given time, in UTC calendar terms.

Monthly and yearly periods keep the day of the billing cycle anchor, clamped to the month's last day
(a subscription anchored on 31 January renews on 28 or 29 February, then on 31 March), as Stripe's do.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

DAY = 86400


def add_interval(start: int, interval: str, count: int = 1, *, anchor: int | None = None) -> int:
    """`start` moved on by `count` intervals ("day", "week", "month" or "year")."""
    if interval == "day":
        return start + count * DAY
    if interval == "week":
        return start + count * 7 * DAY
    moment = datetime.fromtimestamp(start, UTC)
    anchor_day = datetime.fromtimestamp(anchor, UTC).day if anchor is not None else moment.day
    months = count * (12 if interval == "year" else 1)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def days(count: float) -> int:
    return int(timedelta(days=count).total_seconds())
