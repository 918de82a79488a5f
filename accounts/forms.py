"""Forms of the account pages and of the staff's erasure page."""

from django import forms

from core.email_addresses import validate_email_address

EMAIL_MESSAGE = "Enter a valid email address, like name@example.com."


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        validators=[validate_email_address],
        error_messages={"required": EMAIL_MESSAGE, "invalid": EMAIL_MESSAGE},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PreferencesForm(forms.Form):
    news = forms.BooleanField(required=False, label="Product news and offers, now and then")
    recovery = forms.BooleanField(required=False, label="One reminder when I leave a checkout unfinished")


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: my orders stay for the accounts without my name, email or address, my programs and "
        "membership end, and this cannot be undone.",
        error_messages={"required": "Tick the box to confirm."},
    )


class StaffErasureForm(forms.Form):
    email = forms.EmailField(label="Email address to erase", max_length=254, error_messages={"invalid": EMAIL_MESSAGE})
    note = forms.CharField(
        label="How the request reached us",
        required=False,
        max_length=500,
        help_text="A ticket or message reference. Never the address itself: it is not kept.",
    )
    confirm = forms.BooleanField(
        label="The request comes from the address's owner (they wrote from it, or confirmed from it).",
        error_messages={"required": "Confirm that the request comes from the address's owner."},
    )
