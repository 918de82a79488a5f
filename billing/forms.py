"""The membership pages' forms."""

from django import forms

from billing.models import Plan
from core.email_addresses import validate_email_address


class JoinForm(forms.Form):
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.on_offer(),
        to_field_name="slug",
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the plans on offer."},
    )
    email = forms.EmailField(
        max_length=254,
        validators=[validate_email_address],
        error_messages={"invalid": "Enter a valid email address, like name@example.com."},
        help_text="Your membership emails come here, with the link that manages your membership.",
    )


class PortalForm(forms.Form):
    """Which membership's portal to open: a signed link from an email, or the membership's token."""

    link = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    subscription = forms.CharField(required=False, max_length=128, widget=forms.HiddenInput)
