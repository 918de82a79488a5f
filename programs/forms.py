"""Forms of the programs pages (the admin's own forms are in programs.admin)."""

from django import forms

from core.email_addresses import validate_email_address
from programs.validators import SEND_HOUR_MESSAGE, validate_send_hour, validate_time_zone

# A send hour as people read it: 19 is "19:00".
SEND_HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


def send_hour_field(**kwargs) -> forms.TypedChoiceField:
    """A select of "00:00" … "23:00" whose value is the hour.

    The choices are the check here (a TypedChoiceField runs validators before it coerces, so
    `validate_send_hour` would see a string); the model field and the services run the validator.
    """
    return forms.TypedChoiceField(
        choices=SEND_HOUR_CHOICES,
        coerce=int,
        error_messages={"required": SEND_HOUR_MESSAGE, "invalid_choice": SEND_HOUR_MESSAGE},
        **kwargs,
    )


class FirstErrorMixin:
    def first_error(self) -> str:
        """The sentence the page shows next to the form."""
        return next(message for messages in self.errors.values() for message in messages)


class SendTimeForm(FirstErrorMixin, forms.Form):
    """The manage page's "send at": an hour is required (a change has no default); an empty zone keeps the current one."""

    send_hour = forms.IntegerField(
        validators=[validate_send_hour],
        error_messages={"required": SEND_HOUR_MESSAGE, "invalid": SEND_HOUR_MESSAGE},
    )
    timezone = forms.CharField(required=False, validators=[validate_time_zone])


class JoinForm(FirstErrorMixin, forms.Form):
    """The join page of a free program: what the signup API takes, as a form."""

    email = forms.EmailField(label="Email address", max_length=254, validators=[validate_email_address])
    name = forms.CharField(label="Your first name (optional)", max_length=200, required=False)
    timezone = forms.CharField(
        label="Your time zone",
        max_length=64,
        required=False,
        validators=[validate_time_zone],
        help_text="A name like Europe/Berlin or America/Chicago; your browser fills it in when it can.",
    )
    send_hour = send_hour_field(label="Send the lessons at", help_text="Your local time.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email")
        self.fields["name"].widget.attrs.update(autocomplete="given-name")
        self.fields["timezone"].widget.attrs.update(autocomplete="off", spellcheck="false")
