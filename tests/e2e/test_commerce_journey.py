"""Issue 12 in Chromium: a customer in Canada chooses Canada on the cart page, types a promotion code and picks
express shipping on Stripe's page (the emulator, its tax table standing in for Stripe Tax), pays, and the
confirmation email (a real SMTP sink) shows the breakdown; staff then receive one unit back from the order's
own page and the customer is told what was refunded. Screenshots per step under
test-results/test_commerce_journey-*/.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User

from shop.models import Order, OrderReturn, Product
from shop.promotions import sync_promotion_code
from tests.factories import ProductFactory, PromotionCodeFactory, ShippingRateFactory

pytestmark = pytest.mark.e2e
PASSWORD = "a-long-staff-password-for-tests"


@pytest.fixture
def shop_in_canada(settings, transactional_db, stripe_webhooks_to_live_server):
    settings.SHOP_SHIPPING_COUNTRIES = ["US", "CA"]
    settings.STRIPE_AUTOMATIC_TAX = True
    ShippingRateFactory(name="Standard", countries="US", amount=Decimal("6.95"), position=1)
    ShippingRateFactory(name="Standard", countries="CA", amount=Decimal("14.95"), delivery_min_days=5, delivery_max_days=8, position=2)  # fmt: skip
    ShippingRateFactory(name="Express", countries="CA", amount=Decimal("34.95"), delivery_min_days=2, delivery_max_days=3, position=3)  # fmt: skip
    promo = PromotionCodeFactory(code="WELCOME10", percent_off=Decimal("10"))
    assert sync_promotion_code(promotion_id=promo.pk)  # made on the emulator, as the admin's save does
    return ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("89.00"), stock=20)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_buy_with_a_code_and_express_shipping_to_canada_then_a_return(
    page_recorder, live_server, shop_in_canada, stripe_webhooks_to_live_server, mailbox, site_url
):
    page, step = page_recorder.page, page_recorder.step
    emulator = stripe_webhooks_to_live_server

    # The cart: two FoosFoot, shipping to Canada
    page.goto("/shop/foosfoot/")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/cart/")
    page.get_by_label("Email address").fill("amelie@example.ca")
    page.get_by_label("Ship to").select_option("CA")
    page.get_by_role("button", name="Show shipping costs").click()
    page.get_by_text("Shipping to Canada, chosen on the payment page").wait_for()
    rates = page.locator("#shipping-rates").inner_text()
    assert "Standard: 14.95" in rates and "Express: 34.95" in rates and "2–3 business days" in rates
    step("cart shipping to Canada")
    page.get_by_role("button", name="Check out and pay").click()
    page.wait_for_url(f"{emulator.base_url}/pay/**")
    assert Order.objects.get().shipping_country == "CA"
    step("stripe pay page")

    # Stripe's page: the code, the express option, a Toronto address
    page.get_by_label("Promotion code (optional)").fill("welcome10")
    page.get_by_role("button", name="Apply code").click()
    page.locator("#discount").wait_for()
    assert "-17.80 USD" in page.locator("#discount").inner_text()
    page.get_by_label(re.compile(r"^Express: 34\.95 USD")).check()
    page.get_by_label("Full name").fill("Amélie Tremblay")
    page.get_by_label("Address line 1").fill("1 King St W")
    page.get_by_label("City").fill("Toronto")
    page.get_by_label("State or province").fill("ON")
    page.get_by_label("Postal code").fill("M5V 2T6")
    step("code applied, express chosen")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url(f"{live_server.url}/checkout/success/**")
    page.get_by_text("Thank you, your order is confirmed").wait_for()
    emulator.wait_for_deliveries(timeout=15)
    step("success")

    # 178.00 - 17.80 + 34.95 + HST 13 % (20.83 on the products, 4.54 on the shipping) = 220.52
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    assert (order.subtotal, order.discount_total, order.shipping_total) == (Decimal("178.00"), Decimal("17.80"), Decimal("34.95"))  # fmt: skip
    assert (order.tax_total, order.total, order.promotion_code) == (Decimal("25.37"), Decimal("220.52"), "WELCOME10")
    assert (order.shipping_rate_name, order.shipping_address["state"]) == ("Express", "ON")
    summary = page.locator("#order-breakdown").inner_text()
    assert "Discount (WELCOME10)" in summary and "220.52" in summary

    [confirmation] = [m for m in mailbox.wait_for(1) if order.number in m["Subject"]]
    text = text_of(confirmation)
    for line in (
        "Subtotal: 178.00 USD",
        "Discount (WELCOME10): -17.80 USD",
        "Shipping (Express, 2–3 business days): 34.95 USD",
        "Tax: 25.37 USD",
        "Total paid: 220.52 USD",
    ):
        assert line in text, line
    assert "Toronto, ON M5V 2T6" in text

    # Staff receive one unit back, undamaged, from the order's own page
    staff = User.objects.create_user("unpacker", "unpacker@hodhod.example", PASSWORD, is_staff=True)
    codenames = ["view_order", "receive_return", "view_orderline", "view_orderevent"]
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("unpacker")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/admin/shop/order/{order.pk}/change/")
    money = page.locator("fieldset").nth(1).inner_text()
    assert "−17.80 USD (code WELCOME10)" in money and "25.37 USD" in money
    page.get_by_role("link", name="Return received").click()
    page.get_by_label("FoosFoot: units received").fill("1")
    step("return form")
    page.get_by_role("button", name="Receive the return").click()
    page.get_by_text(re.compile(r"Return of order .* received; 90\.52 USD refunded")).wait_for()
    step("return received")
    assert OrderReturn.objects.get().refund_amount == Decimal("90.52")  # 89.00 - 8.90 + 10.415 tax, half-up
    assert Product.objects.get(slug="foosfoot").stock == 19
    returned = [m for m in mailbox.wait_for(2) if "we received your return" in m["Subject"]]
    assert len(returned) == 1 and "We have refunded 90.52 USD" in text_of(returned[0])
    assert page_recorder.console_errors == []
