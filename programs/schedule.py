"""When each lesson is due: the local send hour on an allowed day, as a UTC instant.

Computed with `zoneinfo` for every date separately, so a DST change neither moves
the local hour nor skips or doubles a day. On the spring-forward night a send hour
that does not exist locally is sent at the first valid instant after it (the
transition itself); on the fall-back night an hour that happens twice is sent at
its first occurrence (fold=0), once.
"""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings

UTC = dt.UTC


def is_valid_timezone(name: str) -> bool:
    if not name or not isinstance(name, str) or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return name in _zones()


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        # Debian's tzdata lists `localtime` (a link to the host's /etc/localtime, not a zone) and `Factory` (a
        # placeholder for unconfigured machines): neither is a place a customer lives.
        _ZONES = (available_timezones() - {"localtime", "Factory"}) | {"UTC"}
    return _ZONES


def local_instant(day: dt.date, hour: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of `hour`:00 local time on `day` in `zone`."""
    naive = dt.datetime.combine(day, dt.time(hour))
    first = naive.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == naive:
        return utc  # exists (for an ambiguous hour, fold=0 is its first occurrence)
    # Nonexistent (spring forward). The transition lies between the two readings of the
    # wall time; find the first instant whose wall time is at or after `naive`.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = utc
    if low > high:
        low, high = high, low
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def nth_send_date(start: dt.date, n: int, weekdays: Iterable[int]) -> dt.date:
    """The `n`-th allowed day (0-based) on or after `start`."""
    allowed = frozenset(weekdays) or frozenset(range(7))
    day = start
    while day.weekday() not in allowed:
        day += dt.timedelta(days=1)
    per_week = len(allowed)
    weeks, rest = divmod(n, per_week)
    day += dt.timedelta(weeks=weeks)
    while rest:
        day += dt.timedelta(days=1)
        if day.weekday() in allowed:
            rest -= 1
    return day


def due_at(
    *, anchor_date: dt.date, anchor_day: int, step_day: int, hour: int, zone_name: str, weekdays: Iterable[int]
) -> dt.datetime:
    """When the step of `step_day` is due for a schedule anchored at (`anchor_date`, `anchor_day`)."""
    zone = ZoneInfo(zone_name if is_valid_timezone(zone_name) else settings.TIME_ZONE)
    date = nth_send_date(anchor_date, max(step_day - anchor_day, 0), weekdays)
    return local_instant(date, hour, zone)


def first_start_date(zone_name: str, hour: int, now: dt.datetime) -> dt.date:
    """Today (local) if today's send hour is still ahead, else tomorrow: nobody gets a lesson at 2 a.m."""
    zone = ZoneInfo(zone_name if is_valid_timezone(zone_name) else settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    return today if now <= local_instant(today, hour, zone) else today + dt.timedelta(days=1)


def local_today(zone_name: str, now: dt.datetime) -> dt.date:
    zone = ZoneInfo(zone_name if is_valid_timezone(zone_name) else settings.TIME_ZONE)
    return now.astimezone(zone).date()


# Where an order's shipping address (Stripe's shape: country, state, …) says enough.
# Countries with one zone, then the first-level divisions of the big multi-zone ones.
COUNTRY_ZONES = {
    "AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CH": "Europe/Zurich",
    "CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn", "ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris",
    "GB": "Europe/London", "GR": "Europe/Athens", "HR": "Europe/Zagreb", "HU": "Europe/Budapest",
    "IE": "Europe/Dublin", "IL": "Asia/Jerusalem", "IN": "Asia/Kolkata", "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MT": "Europe/Malta", "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo", "NZ": "Pacific/Auckland", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest", "SE": "Europe/Stockholm", "SG": "Asia/Singapore", "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava", "ZA": "Africa/Johannesburg", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei",
    "AE": "Asia/Dubai", "TR": "Europe/Istanbul", "UA": "Europe/Kyiv",
}  # fmt: skip
_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"
REGION_ZONES = {
    "US": {
        **dict.fromkeys(
            ["CT", "DE", "DC", "FL", "GA", "IN", "KY", "ME", "MD", "MA", "MI", "NH", "NJ", "NY", "NC", "OH", "PA", "RI", "SC", "VT", "VA", "WV"], _EASTERN
        ),
        **dict.fromkeys(["AL", "AR", "IL", "IA", "KS", "LA", "MN", "MS", "MO", "NE", "ND", "OK", "SD", "TN", "TX", "WI"], _CENTRAL),
        **dict.fromkeys(["CO", "ID", "MT", "NM", "UT", "WY"], _MOUNTAIN),
        **dict.fromkeys(["CA", "NV", "OR", "WA"], _PACIFIC),
        "AZ": "America/Phoenix", "AK": "America/Anchorage", "HI": "Pacific/Honolulu", "PR": "America/Puerto_Rico",
    },
    "CA": {
        "BC": "America/Vancouver", "AB": "America/Edmonton", "SK": "America/Regina", "MB": "America/Winnipeg",
        "ON": "America/Toronto", "QC": "America/Toronto", "NB": "America/Halifax", "NS": "America/Halifax",
        "PE": "America/Halifax", "NL": "America/St_Johns", "YT": "America/Whitehorse",
        "NT": "America/Yellowknife", "NU": "America/Iqaluit",
    },
    "AU": {
        "NSW": "Australia/Sydney", "ACT": "Australia/Sydney", "VIC": "Australia/Melbourne",
        "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "WA": "Australia/Perth",
        "TAS": "Australia/Hobart", "NT": "Australia/Darwin",
    },
}  # fmt: skip


def timezone_for_address(address: dict | None) -> str:
    """The customer's zone from a shipping address where it is unambiguous, else settings.TIME_ZONE."""
    if isinstance(address, dict) and isinstance(address.get("address"), dict):
        address = address["address"]  # Stripe's shipping_details shape: {"name", "address": {…}}
    if not isinstance(address, dict):
        return settings.TIME_ZONE
    country = str(address.get("country") or "").strip().upper()
    state = str(address.get("state") or "").strip().upper()
    zone = REGION_ZONES.get(country, {}).get(state) or COUNTRY_ZONES.get(country)
    return zone if zone and is_valid_timezone(zone) else settings.TIME_ZONE
