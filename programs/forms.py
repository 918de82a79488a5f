"""Forms of the programs pages (the admin's own forms are in programs.admin)."""

from django import forms

from programs.validators import SEND_HOUR_MESSAGE, validate_send_hour, validate_time_zone


class SendTimeForm(forms.Form):
    """The manage page's "send at": an hour is required (a change has no default); an empty zone keeps the current one."""

    send_hour = forms.IntegerField(
        validators=[validate_send_hour],
        error_messages={"required": SEND_HOUR_MESSAGE, "invalid": SEND_HOUR_MESSAGE},
    )
    timezone = forms.CharField(required=False, validators=[validate_time_zone])

    def first_error(self) -> str:
        """The sentence the page shows next to the form."""
        return next(message for messages in self.errors.values() for message in messages)
