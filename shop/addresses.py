"""Postal addresses as each country writes them: the one place that turns Stripe's address dict
(line1, line2, city, state, postal_code, country) into lines, for the confirmation email, the packing
slip, the order page, the admin and the CSV export (issue 11, item 6: "62701 Springfield, IL" is how
nobody in Illinois writes an address).

Formats follow each post office's own guidance, as summarised in Google's libaddressinput data:
- US, CA, AU: city, state and postal code on one line ("Springfield, IL 62701"; Australia without the
  comma: "Sydney NSW 2000");
- GB, IE: town and postcode on lines of their own, the post town in capitals in the UK;
- most of continental Europe: postal code before the city ("10115 Berlin");
- anywhere else: city, then region and postal code, which a carrier reads everywhere.
The last line is the country's name, for a parcel that crosses a border.
"""

from collections.abc import Mapping

COUNTRY_NAMES = {
    "AT": "Austria",
    "AU": "Australia",
    "BE": "Belgium",
    "CA": "Canada",
    "CH": "Switzerland",
    "CZ": "Czechia",
    "DE": "Germany",
    "DK": "Denmark",
    "ES": "Spain",
    "FI": "Finland",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IL": "Israel",
    "IT": "Italy",
    "JP": "Japan",
    "LU": "Luxembourg",
    "MX": "Mexico",
    "NL": "Netherlands",
    "NO": "Norway",
    "NZ": "New Zealand",
    "PL": "Poland",
    "PT": "Portugal",
    "SE": "Sweden",
    "US": "United States",
}
STATE_AFTER_CITY_WITH_COMMA = frozenset({"US", "CA"})
STATE_AFTER_CITY = frozenset({"AU"})
TOWN_THEN_POSTCODE = frozenset({"GB", "IE"})
POSTCODE_FIRST = frozenset(
    {"AT", "BE", "CH", "CZ", "DE", "DK", "ES", "FI", "FR", "IL", "IT", "LU", "NL", "NO", "PL", "PT", "SE"}
)


def _text(address: Mapping, key: str) -> str:
    value = address.get(key)
    return " ".join(str(value).split()) if value else ""


def _locality_lines(country: str, city: str, state: str, postal_code: str) -> list[str]:
    """The line(s) that say where the street is: city, region and postal code in the country's order."""
    if country in STATE_AFTER_CITY_WITH_COMMA:
        region = " ".join(part for part in (state, postal_code) if part)
        return [", ".join(part for part in (city, region) if part)]
    if country in STATE_AFTER_CITY:
        return [" ".join(part for part in (city, state, postal_code) if part)]
    if country in TOWN_THEN_POSTCODE:
        return [city.upper() if country == "GB" else city, state, postal_code]
    if country in POSTCODE_FIRST:
        return [" ".join(part for part in (postal_code, city) if part), state]
    return [", ".join(part for part in (city, " ".join(p for p in (state, postal_code) if p)) if part)]


def format_address(address: Mapping | None, *, name: str = "") -> list[str]:
    """The address as the lines to write on a parcel, in the order its country's post expects, the
    country's name last; `name` (the recipient) first when given. Empty parts leave no empty lines."""
    address = address if isinstance(address, Mapping) else {}
    country = _text(address, "country").upper()
    lines = [" ".join(name.split()), _text(address, "line1"), _text(address, "line2")]
    lines += _locality_lines(country, _text(address, "city"), _text(address, "state"), _text(address, "postal_code"))
    lines.append(COUNTRY_NAMES.get(country, country))
    return [line for line in lines if line]


def format_address_line(address: Mapping | None, *, name: str = "") -> str:
    """The same address on one line, its lines joined by commas (the CSV export, the admin list)."""
    return ", ".join(format_address(address, name=name))
