"""The one check of a time zone and of a send hour, for the model fields, the forms, the API and the services.

The policy around them: at enrollment an absent hour means the program's and an absent
zone the site's (settings.TIME_ZONE); a change of send time must name an hour. A value
that is given is always checked here.
"""

from django.core.exceptions import ValidationError

from programs import schedule

TIME_ZONE_MESSAGE = "Unknown time zone; use an IANA name like Europe/Berlin."
SEND_HOUR_MESSAGE = "The send hour must be a whole number from 0 to 23."


def validate_time_zone(value: str) -> None:
    """An IANA zone name this server knows (Europe/Berlin, UTC), at most 64 characters."""
    if not schedule.is_valid_timezone(value):
        raise ValidationError(TIME_ZONE_MESSAGE, code="invalid_timezone")


def validate_send_hour(value: int) -> None:
    """A local hour, 0 to 23 (a bool is not an hour, though Python counts it as an int)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        raise ValidationError(SEND_HOUR_MESSAGE, code="invalid_send_hour")
