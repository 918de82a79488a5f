"""`localtime` is not a time zone but Debian's link to the server's own /etc/localtime, and `Factory` is tzdata's
placeholder ("-00", for machines not yet set up); both are in zoneinfo.available_timezones() on Debian. Found by
the outside probe of 2026-11-30: the account page and the manage page saved "09:00 (localtime)" as a customer's
send time, which then follows whatever zone the sending host is set to (or fails where /etc/localtime is absent)."""

import pytest
from django.core.exceptions import ValidationError

from programs.forms import SendTimeForm
from programs.validators import TIME_ZONE_MESSAGE, validate_time_zone


@pytest.mark.parametrize("zone", ["localtime", "Factory"])
def test_host_links_and_placeholders_are_not_zones(zone):
    with pytest.raises(ValidationError) as refusal:
        validate_time_zone(zone)
    assert refusal.value.messages == [TIME_ZONE_MESSAGE]
    assert not SendTimeForm({"send_hour": "9", "timezone": zone}).is_valid()


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Europe/Paris", "America/Toronto"])
def test_real_zones_still_pass(zone):
    validate_time_zone(zone)
