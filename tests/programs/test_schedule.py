"""Due instants: local send hour, DST-safe, allowed weekdays; zones from shipping addresses."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from programs import enrollments, schedule
from programs.models import Enrollment
from tests.factories import program_with_steps
from tests.programs.conftest import utc

NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("zone", "day", "hour", "expected"),
    [
        # New York, spring forward 2026-03-08 02:00 → 03:00: 02:00 does not exist → the transition (03:00 EDT).
        (NY, dt.date(2026, 3, 7), 2, utc(2026, 3, 7, 7)),
        (NY, dt.date(2026, 3, 8), 2, utc(2026, 3, 8, 7)),
        (NY, dt.date(2026, 3, 9), 2, utc(2026, 3, 9, 6)),
        # New York, fall back 2026-11-01 02:00 → 01:00: 01:00 happens twice → the first (EDT).
        (NY, dt.date(2026, 10, 31), 1, utc(2026, 10, 31, 5)),
        (NY, dt.date(2026, 11, 1), 1, utc(2026, 11, 1, 5)),
        (NY, dt.date(2026, 11, 2), 1, utc(2026, 11, 2, 6)),
        # Berlin, spring forward 2026-03-29 02:00 → 03:00 and fall back 2026-10-25 03:00 → 02:00.
        (BERLIN, dt.date(2026, 3, 29), 2, utc(2026, 3, 29, 1)),
        (BERLIN, dt.date(2026, 3, 30), 2, utc(2026, 3, 30, 0)),
        (BERLIN, dt.date(2026, 10, 25), 2, utc(2026, 10, 25, 0)),
        (BERLIN, dt.date(2026, 10, 26), 2, utc(2026, 10, 26, 1)),
    ],
)
def test_local_instant_on_dst_nights(zone, day, hour, expected):
    assert schedule.local_instant(day, hour, zone) == expected


def test_nonexistent_half_hour_goes_to_the_first_valid_instant():
    # Lord Howe Island moves 30 minutes: 02:00 → 02:30 on 2026-10-04.
    zone = ZoneInfo("Australia/Lord_Howe")
    instant = schedule.local_instant(dt.date(2026, 10, 4), 2, zone)
    assert instant.astimezone(zone).replace(tzinfo=None) == dt.datetime(2026, 10, 4, 2, 30)


def _local(enrollment: Enrollment, zone: ZoneInfo) -> list[dt.datetime]:
    return [d.due_at.astimezone(zone) for d in enrollment.deliveries.order_by("due_at")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone_name", "start", "hour"),
    [
        ("America/New_York", utc(2026, 3, 5, 5, 30), 8),  # across spring forward (03-08)
        ("America/New_York", utc(2026, 10, 29, 4, 30), 8),  # across fall back (11-01)
        ("America/New_York", utc(2026, 3, 5, 5, 30), 2),  # the hour that vanishes
        ("America/New_York", utc(2026, 10, 29, 4, 30), 1),  # the hour that happens twice
        ("Europe/Berlin", utc(2026, 3, 26, 0), 8),
        ("Europe/Berlin", utc(2026, 10, 22, 0), 8),
        ("Europe/Berlin", utc(2026, 3, 26, 0), 2),
        ("Europe/Berlin", utc(2026, 10, 22, 0), 2),
    ],
)
def test_a_week_across_a_dst_night_keeps_one_lesson_a_day(zone_name, start, hour):
    program = program_with_steps(7)
    enrollment = enrollments.enroll(
        program=program, email="a@example.com", origin="staff", timezone_name=zone_name, send_hour=hour, now=start
    )
    zone = ZoneInfo(zone_name)
    local = _local(enrollment, zone)
    dates = [moment.date() for moment in local]
    first = start.astimezone(zone).date()
    assert dates == [first + dt.timedelta(days=n) for n in range(7)]  # none skipped, none doubled
    assert len({d.due_at for d in enrollment.deliveries.all()}) == 7
    for moment in local:
        # the local hour is kept; only the vanished hour moves to the first instant after it
        assert moment.hour == hour or (moment.hour == hour + 1 and moment.minute == 0)
    assert sum(moment.hour != hour for moment in local) <= 1


@pytest.mark.django_db
def test_skip_weekend_program_lands_on_monday():
    program = program_with_steps(6, send_weekdays=[0, 1, 2, 3, 4])
    saturday = utc(2026, 3, 7, 15)
    enrollment = enrollments.enroll(
        program=program, email="a@example.com", origin="staff", timezone_name="Europe/Berlin", now=saturday
    )
    local = _local(enrollment, BERLIN)
    assert [m.strftime("%a %d") for m in local] == ["Mon 09", "Tue 10", "Wed 11", "Thu 12", "Fri 13", "Mon 16"]
    assert all(m.hour == 8 for m in local)


@pytest.mark.parametrize(
    ("address", "zone"),
    [
        ({"country": "US", "state": "NY", "city": "Albany"}, "America/New_York"),
        ({"country": "us", "state": "ca"}, "America/Los_Angeles"),
        ({"country": "DE", "postal_code": "10115"}, "Europe/Berlin"),
        ({"name": "Dana", "address": {"country": "AU", "state": "VIC"}}, "Australia/Melbourne"),
        ({"country": "US"}, "UTC"),  # several zones, no state: the site's
        ({"country": "ZZ"}, "UTC"),
        ({}, "UTC"),
        (None, "UTC"),
        ("not a dict", "UTC"),
    ],
)
def test_timezone_from_shipping_address(address, zone, settings):
    settings.TIME_ZONE = "UTC"
    assert schedule.timezone_for_address(address) == zone


@pytest.mark.django_db
def test_enrolling_after_the_send_hour_starts_tomorrow_not_at_night():
    program = program_with_steps(2)
    late = utc(2026, 6, 1, 21)  # 23:00 in Berlin
    enrollment = enrollments.enroll(
        program=program, email="a@example.com", origin="staff", timezone_name="Europe/Berlin", now=late
    )
    assert [m.strftime("%m-%d %H:%M") for m in _local(enrollment, BERLIN)] == ["06-02 08:00", "06-03 08:00"]
