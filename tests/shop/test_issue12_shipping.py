"""Issue 12: shipping rates per country, chosen before checkout; what the Checkout Session is sent (shipping
options, tax-exclusive prices with tax codes, promotion codes, recovery, consent); the demo rates."""

from decimal import Decimal

import pytest

from content.demo_pages import SHIPPING
from shop.carts import add_to_cart, create_cart
from shop.checkout import start_checkout
from shop.checks import check_shipping_countries
from shop.demo import seed_demo
from shop.models import Order, ShippingRate
from shop.shipping import offered_rates
from tests.factories import ProductFactory, ShippingRateFactory

pytestmark = pytest.mark.django_db
EU = "AT, BE, DE, FR, NL, ES, IT, IE"


@pytest.fixture
def countries(settings):
    settings.SHOP_SHIPPING_COUNTRIES = ["US", "CA", "DE"]


@pytest.fixture
def rates(db):
    return {
        "us_standard": ShippingRateFactory(name="Standard", countries="US", amount=Decimal("6.95"), free_above=Decimal("100"), position=1),
        "us_express": ShippingRateFactory(name="Express", countries="US", amount=Decimal("19.95"), delivery_min_days=1, delivery_max_days=2, position=2),
        "ca_express": ShippingRateFactory(name="Express", countries="CA", amount=Decimal("34.95"), delivery_min_days=2, delivery_max_days=3, position=4),
        "ca_standard": ShippingRateFactory(name="Standard", countries="ca", amount=Decimal("14.95"), delivery_min_days=5, delivery_max_days=8, position=3),
        "eu": ShippingRateFactory(name="Standard", countries=EU, amount=Decimal("24.95"), delivery_min_days=6, delivery_max_days=10, taxable=False),
        "off": ShippingRateFactory(name="Retired", countries="US", amount=Decimal("1.00"), is_active=False),
    }  # fmt: skip


def cart_of(product, quantity=1):
    cart = create_cart()
    add_to_cart(cart=cart, product=product, quantity=quantity)
    return cart


def test_a_country_is_offered_its_active_rates_by_position_free_above_the_subtotal(rates):
    assert ShippingRate.objects.get(pk=rates["ca_standard"].pk).countries == "CA"
    offered = offered_rates(country="CA", currency="USD", subtotal=Decimal("59.00"))
    assert [(o.rate.pk, o.amount) for o in offered] == [(rates["ca_standard"].pk, Decimal("14.95")), (rates["ca_express"].pk, Decimal("34.95"))]  # fmt: skip
    us_small = offered_rates(country="US", subtotal=Decimal("100.00"))
    us_big = offered_rates(country="US", subtotal=Decimal("109.00"))
    assert [o.amount for o in us_small] == [Decimal("6.95"), Decimal("19.95")]  # "over 100", not "100 and over"
    assert [o.amount for o in us_big] == [Decimal("0.00"), Decimal("19.95")]
    assert us_big[0].is_free and not us_small[0].is_free
    assert [o.rate.pk for o in offered_rates(country="IE")] == [rates["eu"].pk]
    assert offered_rates(country="US", currency="EUR") == []


def test_at_most_five_rates_per_currency_are_offered(db):
    for position in range(7):
        ShippingRateFactory(name=f"Rate {position}", countries="US", position=position)
    assert [o.rate.name for o in offered_rates(country="US")] == [f"Rate {n}" for n in range(5)]


def test_rates_are_checked_when_staff_save_them(db):
    rate = ShippingRate(
        name="Odd", countries="usa, 1x", amount=Decimal("1.005"), delivery_min_days=5, delivery_max_days=2
    )
    with pytest.raises(Exception) as refused:
        rate.full_clean()
    assert set(refused.value.message_dict) == {"countries", "amount", "delivery_max_days"}


def test_the_session_allows_the_chosen_country_and_offers_its_rates_tax_exclusive(countries, rates, stripe_api):
    product = ProductFactory(price=Decimal("59.00"), tax_code="txcd_99999999")
    result = start_checkout(cart=cart_of(product), email="dana@example.com", country="ca")

    session = stripe_api.session(result.session_id)
    assert session["shipping_address_collection"] == {"allowed_countries": ["CA"]}
    shipping = [stripe_api.shipping_rates[o["shipping_rate"]] for o in session["shipping_options"]]
    assert [(r["display_name"], r["fixed_amount"]["amount"]) for r in shipping] == [
        ("Standard", 1495),
        ("Express", 3495),
    ]
    assert {(r["tax_behavior"], r["tax_code"]) for r in shipping} == {("exclusive", "txcd_92010001")}
    assert shipping[0]["delivery_estimate"] == {
        "minimum": {"unit": "business_day", "value": 5}, "maximum": {"unit": "business_day", "value": 8}
    }  # fmt: skip
    assert shipping[0]["metadata"] == {"shipping_rate_id": str(rates["ca_standard"].pk)}
    [line] = stripe_api.session_line_items(result.session_id)
    assert line["price"]["tax_behavior"] == "exclusive"
    assert stripe_api.products[line["price"]["product"]]["tax_code"] == "txcd_99999999"
    assert session["allow_promotion_codes"] is True
    assert session["after_expiration"]["recovery"]["enabled"] is True
    assert session["consent_collection"]["promotions"] == "auto"
    assert session["automatic_tax"]["enabled"] is False  # STRIPE_AUTOMATIC_TAX is off
    order = Order.objects.get(pk=result.order.pk)
    assert order.shipping_country == "CA"
    assert [(o["name"], o["amount"], o["stripe_id"]) for o in order.shipping_options] == [
        ("Standard", "14.95", session["shipping_options"][0]["shipping_rate"]),
        ("Express", "34.95", session["shipping_options"][1]["shipping_rate"]),
    ]
    assert (order.subtotal, order.total) == (Decimal("59.00"), Decimal("59.00"))


def test_non_taxable_shipping_and_automatic_tax(countries, rates, stripe_api, settings):
    settings.STRIPE_AUTOMATIC_TAX = True
    result = start_checkout(cart=cart_of(ProductFactory()), email="dana@example.com", country="DE")
    session = stripe_api.session(result.session_id)
    assert session["automatic_tax"]["enabled"] is True
    [option] = session["shipping_options"]
    assert stripe_api.shipping_rates[option["shipping_rate"]]["tax_code"] == "txcd_00000000"


def test_the_api_checkout_takes_a_country_and_refuses_one_not_shipped_to(api_client, countries, rates, stripe_api):
    product = ProductFactory(slug="foosfoot", price=Decimal("59.00"))
    tokens = []
    for _ in range(3):
        token = api_client.post("/api/carts/").json()["token"]
        api_client.post(f"/api/carts/{token}/lines/", {"product": product.slug, "quantity": 2}, format="json")
        tokens.append(token)

    default = api_client.post(f"/api/carts/{tokens[0]}/checkout/", {"email": "a@example.com"}, format="json")
    refused = api_client.post(
        f"/api/carts/{tokens[1]}/checkout/", {"email": "a@example.com", "country": "IL"}, format="json"
    )
    garbage = api_client.post(
        f"/api/carts/{tokens[2]}/checkout/", {"email": "a@example.com", "country": "x\x00" * 60}, format="json"
    )

    assert default.status_code == 201, default.json()
    session = stripe_api.session(default.json()["checkout_session_id"])
    assert session["shipping_address_collection"]["allowed_countries"] == ["US"]  # the first of the setting
    assert [o["shipping_amount"] for o in session["shipping_options"]] == [0, 1995]  # 118.00 is over 100
    order = default.json()["order"]
    assert (order["subtotal"], order["total"], order["shipping_rate"], order["promotion_code"]) == ("118.00", "118.00", None, None)  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (400, "unsupported_country")
    assert "country" in refused.json()["fields"]
    assert garbage.status_code == 400
    assert Order.objects.count() == 1


def test_shipping_rates_api_shows_what_checkout_offers(api_client, countries, rates):
    us = api_client.get("/api/shipping-rates/", {"country": "us", "subtotal": "109.00"}).json()
    assert us["country"] == "US" and us["country_name"] == "United States"
    assert [(r["name"], r["amount"], r["free_above"]) for r in us["rates"]] == [
        ("Standard", "0.00", "100.00"),
        ("Express", "19.95", None),
    ]
    assert us["rates"][1]["delivery_estimate"] == {"minimum": 1, "maximum": 2, "text": "1–2 business days"}
    default = api_client.get("/api/shipping-rates/").json()
    assert default["country"] == "US" and default["rates"][0]["amount"] == "6.95"  # no subtotal: the full amount
    for query in (
        {"country": "IL"},
        {"country": "\x00"},
        {"subtotal": "lots"},
        {"subtotal": "-1"},
        {"currency": "dollars"},
    ):
        response = api_client.get("/api/shipping-rates/", query)
        assert response.status_code == 400, query
        assert response.json()["code"] in ("unsupported_country", "validation_error")


def test_the_cart_page_offers_the_countries_and_shows_the_chosen_ones_rates(client, countries, rates, stripe_api):
    product = ProductFactory(price=Decimal("59.00"))
    client.post(f"/shop/{product.slug}/", {"quantity": 1})
    page = client.get("/cart/").content.decode()
    assert '<option value="US" selected>United States</option>' in page
    assert '<option value="CA">Canada</option>' in page
    assert "Standard: " in page and "6.95" in page and "3–5 business days" in page

    shown = client.post("/cart/", {"action": "shipping", "country": "CA", "email": "lee@example.com"})
    assert shown.status_code == 302
    page = client.get("/cart/").content.decode()
    assert '<option value="CA" selected>Canada</option>' in page
    assert "Shipping to Canada" in page and "34.95" in page
    assert 'value="lee@example.com"' in page

    refused = client.post("/checkout/", {"email": "lee@example.com", "country": "IL"})
    assert "We do not ship there yet" in refused.content.decode()
    assert not Order.objects.exists()

    response = client.post("/checkout/", {"email": "lee@example.com", "country": "CA"})
    assert response.status_code == 303
    order = Order.objects.get()
    assert stripe_api.session(order.checkout_session_id)["shipping_address_collection"]["allowed_countries"] == ["CA"]


def test_demo_rates_match_the_demo_shipping_page(countries):
    seed_demo()
    assert seed_demo() == []
    rows = {(r.name, r.country_list[0]): r for r in ShippingRate.objects.all()}
    assert set(rows) == {
        ("Standard", "US"),
        ("Express", "US"),
        ("Standard", "CA"),
        ("Express", "CA"),
        ("Standard", "AT"),
    }
    for (name, country), rate in rows.items():
        assert f"{rate.amount} USD" in SHIPPING, (name, country)
        assert f"{rate.delivery_min_days}–{rate.delivery_max_days} business days" in SHIPPING
    assert rows[("Standard", "US")].free_above == Decimal("100.00") and "free on orders over 100 USD" in SHIPPING
    assert len(rows[("Standard", "AT")].country_list) == 27
    assert {"DE", "FR", "NL", "ES", "IT", "IE", "AT", "BE"} <= set(rows[("Standard", "AT")].country_list)


def test_a_wrong_shipping_countries_setting_is_a_start_up_error(settings):
    for wrong in (["USA"], [], ["U1"]):
        settings.SHOP_SHIPPING_COUNTRIES = wrong
        assert [error.id for error in check_shipping_countries()] == ["shop.E001"], wrong
    settings.SHOP_SHIPPING_COUNTRIES = ["US", "CA"]
    assert check_shipping_countries() == []
