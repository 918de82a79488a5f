"""Start-up checks of the shop's settings (Django's system checks: `runserver`, `migrate`, `check`)."""

import re

from django.conf import settings
from django.core.checks import Error, register

COUNTRY = re.compile(r"^[A-Z]{2}$")


@register()
def check_shipping_countries(app_configs=None, **kwargs) -> list[Error]:
    """SHOP_SHIPPING_COUNTRIES: two-letter ISO codes, at least one (a checkout needs a country to ship to)."""
    countries = getattr(settings, "SHOP_SHIPPING_COUNTRIES", None)
    if countries and all(isinstance(code, str) and COUNTRY.match(code) for code in countries):
        return []
    return [
        Error(
            f"SHOP_SHIPPING_COUNTRIES is {countries!r}.",
            hint="Two-letter ISO codes separated by commas, the default first, like US,CA,DE.",
            id="shop.E001",
        )
    ]
