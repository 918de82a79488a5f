"""Issue 11, item 6: addresses are written as their country writes them, in one place (shop.addresses),
and the confirmation email, the order page, the packing slip, the admin and the CSV all use it."""

import pytest
from django.template import Context, Template

from shop.addresses import format_address, format_address_line

SPRINGFIELD = {"line1": "400 Main St", "line2": "Apt 2", "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"}  # fmt: skip


def test_issue11_item6_a_us_address_puts_city_state_and_zip_on_one_line():
    assert format_address(SPRINGFIELD) == ["400 Main St", "Apt 2", "Springfield, IL 62701", "United States"]


def test_issue11_item6_a_canadian_address_is_written_like_a_us_one():
    address = {
        "line1": "1 Rue Sherbrooke",
        "city": "Montréal",
        "state": "QC",
        "postal_code": "H2X 1Y4",
        "country": "CA",
    }
    assert format_address(address) == ["1 Rue Sherbrooke", "Montréal, QC H2X 1Y4", "Canada"]


def test_issue11_item6_a_uk_address_has_the_post_town_in_capitals_and_the_postcode_on_its_own_line():
    address = {"line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"}
    assert format_address(address, name="Dana Walker") == [
        "Dana Walker",
        "10 Downing Street",
        "LONDON",
        "SW1A 2AA",
        "United Kingdom",
    ]


def test_issue11_item6_a_german_address_puts_the_postal_code_before_the_city():
    address = {"line1": "Invalidenstraße 117", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    assert format_address(address) == ["Invalidenstraße 117", "10115 Berlin", "Germany"]
    assert format_address({**address, "country": "fr", "city": "Paris", "postal_code": "75001"})[1] == "75001 Paris"


def test_issue11_item6_an_unknown_country_or_a_sparse_address_still_gives_clean_lines():
    assert format_address({"line1": "1 Road", "city": "Nowhere", "postal_code": "999", "country": "ZZ"}) == [
        "1 Road",
        "Nowhere, 999",
        "ZZ",
    ]
    assert format_address({}) == []
    assert format_address(None) == []
    assert format_address({"city": "  Springfield ", "country": "US"}) == ["Springfield", "United States"]
    assert format_address_line(SPRINGFIELD) == "400 Main St, Apt 2, Springfield, IL 62701, United States"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{% for line in address|address_lines:name %}{{ line }}|{% endfor %}", "Lee &lt;b&gt;|400 Main St|Apt 2|"),
        ("{{ address|address_line }}", "400 Main St, Apt 2, Springfield, IL 62701, United States"),
        ('{{ amount|money:"usd" }} {{ yen|money:"JPY" }}', "59.00 USD 5900 JPY"),
    ],
)
def test_issue11_item6_template_filters_use_the_same_formatting_and_escape(source, expected):
    html = Template("{% load shop_display %}" + source).render(
        Context({"address": SPRINGFIELD, "name": "Lee <b>", "amount": 59, "yen": 5900})
    )
    assert html.startswith(expected)
