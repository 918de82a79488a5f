"""Forms of the shop's pages. They check shape only (a whole number, an email address);
the cart service decides what is allowed (stock, line limits) and says why not."""

from django import forms

from core.email_addresses import validate_email_address
from shop.models import CartLine
from shop.shipping import country_choices

QUANTITY_MESSAGES = {
    "required": "Enter how many you want.",
    "invalid": "The quantity must be a whole number.",
    "min_value": "The quantity must be at least 1.",
    "max_value": f"You can buy at most {CartLine.MAX_QUANTITY} of one product in a single order.",
}


def quantity_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label="Quantity",
        min_value=1,
        max_value=CartLine.MAX_QUANTITY,
        error_messages=QUANTITY_MESSAGES,
        **kwargs,
    )


class AddToCartForm(forms.Form):
    quantity = quantity_field(initial=1)

    def __init__(self, *args, available: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if available is not None:
            # A hint for the browser's number spinner; the service checks stock either way.
            self.fields["quantity"].widget.attrs["max"] = max(1, min(CartLine.MAX_QUANTITY, available))


class CartLineForm(forms.Form):
    """One cart line's form: change its quantity, or remove it."""

    ACTIONS = (("update", "Update"), ("remove", "Remove"))

    line = forms.IntegerField(widget=forms.HiddenInput, error_messages={"invalid": "That cart line is unknown."})
    action = forms.ChoiceField(choices=ACTIONS, initial="update")
    quantity = quantity_field(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "update" and cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", QUANTITY_MESSAGES["required"])
        return cleaned


class CheckoutForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        validators=[validate_email_address],
        help_text="For your receipt, the order-status link and the exercise emails.",
        error_messages={
            "required": "Enter your email address so we can send your receipt.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = forms.ChoiceField(
        label="Ship to",
        choices=(),
        required=False,  # absent: the first of SHOP_SHIPPING_COUNTRIES, as in the API
        error_messages={"invalid_choice": "We do not ship there yet: choose one of the countries listed."},
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()  # read when the page is made: settings may change
