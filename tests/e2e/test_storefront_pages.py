"""The storefront's pages through Django's test client: what each shows, and how each refuses
bad input (a message next to the field, a friendly page; never a 500)."""

from decimal import Decimal

import pytest
from django.core import mail

from shop.display import tracking_url
from shop.models import Cart, CartLine, Order, Product
from shop.orders import transition_order
from shop.staff import mark_shipped
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(name="FoosFoot", slug="foosfoot", price=Decimal("89.00"), stock=20)


def add(client, product, quantity):
    return client.post(f"/shop/{product.slug}/", {"quantity": quantity})


def session_cart(client) -> Cart:
    return Cart.objects.get(pk=client.session["shop_cart_id"])


def test_home_shows_products_and_links_to_them(client, product):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "FoosFoot" in html
    assert 'href="/shop/foosfoot/"' in html
    assert "89.00" in html


def test_home_without_products_still_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "being restocked" in response.content.decode()


def test_product_page_shows_price_stock_state_and_a_csrf_form(client, product):
    html = client.get("/shop/foosfoot/").content.decode()
    assert "89.00" in html
    assert "In stock" in html
    assert "csrfmiddlewaretoken" in html
    assert 'alt="A wooden foot exerciser"' in html


@pytest.mark.parametrize(("stock", "label"), [(3, "only 3 left"), (0, "Sold out")])
def test_product_page_says_low_stock_and_sold_out(client, stock, label):
    ProductFactory(slug="thing", stock=stock)
    html = client.get("/shop/thing/").content.decode()
    assert label in html
    if stock == 0:
        assert "Add to cart" not in html


def test_unknown_or_inactive_product_is_a_friendly_404(client):
    ProductFactory(slug="retired", is_active=False)
    for url in ("/shop/retired/", "/shop/no-such-thing/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "We could not find that page" in response.content.decode()


def test_add_to_cart_redirects_to_the_cart_with_the_line(client, product):
    response = add(client, product, 2)
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    html = client.get("/cart/").content.decode()
    assert "Added 2 × FoosFoot to your cart." in html
    assert "178.00" in html
    assert session_cart(client).lines.get().quantity == 2


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "The quantity must be at least 1."),
        ("-3", "The quantity must be at least 1."),
        ("1.5", "The quantity must be a whole number."),
        ("lots", "The quantity must be a whole number."),
        ("", "Enter how many you want."),
        ("11", "You can buy at most 10 of one product"),
        ("99999999999999999999999", "You can buy at most 10"),
    ],
)
def test_bad_quantities_get_a_message_next_to_the_field(client, product, quantity, message):
    response = add(client, product, quantity)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="quantity-error"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not CartLine.objects.exists()


def test_more_than_in_stock_is_refused_with_the_number_left(client):
    product = ProductFactory(slug="scarce", name="Scarce", stock=2)
    html = add(client, product, 3).content.decode()
    assert "Only 2 of Scarce left in stock." in html
    assert not CartLine.objects.exists()


def test_cart_changes_quantity_and_removes_a_line(client, product):
    add(client, product, 1)
    line = session_cart(client).lines.get()
    response = client.post("/cart/", {"line": line.pk, "action": "update", "quantity": "3"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 3
    assert "267.00" in client.get("/cart/").content.decode()

    client.post("/cart/", {"line": line.pk, "action": "remove"})
    assert not CartLine.objects.exists()
    assert "Your cart is empty." in client.get("/cart/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "update", "quantity": "0"}, "The quantity must be at least 1."),
        ({"action": "update", "quantity": "x"}, "The quantity must be a whole number."),
        ({"action": "update", "quantity": ""}, "Enter how many you want."),
        ({"action": "update", "quantity": "25"}, "at most 10"),
        ({"action": "explode", "quantity": "1"}, "Select a valid choice"),
    ],
)
def test_cart_line_errors_are_shown_next_to_the_line(client, product, data, message):
    add(client, product, 1)
    line = session_cart(client).lines.get()
    response = client.post("/cart/", {"line": line.pk, **data})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="line-error-{line.pk}"' in html
    assert message in html
    line.refresh_from_db()
    assert line.quantity == 1


def test_cart_refuses_lines_of_other_carts_and_garbage(client, product):
    other = CartLine.objects.create(cart=Cart.objects.create(), product=product, quantity=1)
    add(client, product, 1)
    for data in ({"line": other.pk, "action": "remove"}, {"line": "abc", "action": "remove"}, {}):
        response = client.post("/cart/", data, follow=True)
        assert response.status_code == 200
        assert "That item is no longer in your cart." in response.content.decode()
    assert CartLine.objects.filter(pk=other.pk).exists()


def test_forms_need_a_csrf_token(product):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/shop/foosfoot/", {"quantity": 1})
    assert response.status_code == 403
    assert "Please try that again" in response.content.decode()


def test_checkout_of_an_empty_cart_is_refused_kindly(client):
    response = client.post("/checkout/", {"email": "dana@example.com"}, follow=True)
    assert response.status_code == 200
    assert "Your cart is empty" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address"), ("not-an-email", "Enter an email address like"), ("a@b", "Enter an email")],
)
def test_checkout_with_a_bad_email_shows_the_error_next_to_the_field(client, product, email, message):
    add(client, product, 1)
    response = client.post("/checkout/", {"email": email})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="email-error"' in html
    assert message in html
    assert not Order.objects.exists()


def test_checkout_redirects_to_stripe_and_the_success_page_tells_the_truth(
    client, product, stripe_api, django_capture_on_commit_callbacks
):
    add(client, product, 2)
    response = client.post("/checkout/", {"email": "dana@example.com"})
    assert response.status_code == 303
    assert response["Location"].startswith(stripe_api.base_url + "/pay/cs_")
    order = Order.objects.get()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert Product.objects.get(pk=product.pk).stock == 18

    success = f"/checkout/success/?session_id={order.checkout_session_id}"
    html = client.get(success).content.decode()
    assert "Your payment is being confirmed" in html
    assert '<meta http-equiv="refresh"' in html

    stripe_api.complete_session(order.checkout_session_id, outcome="paid")  # no webhook URL: the page must see it
    with django_capture_on_commit_callbacks(execute=True):
        html = client.get(success).content.decode()
    assert "Thank you, your order is confirmed" in html
    assert 'http-equiv="refresh"' not in html
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert len([m for m in mail.outbox if "confirmed" in m.subject]) == 1


@pytest.mark.parametrize("session_id", ["", "nonsense", "cs_test_doesnotexist", "cs_<script>"])
def test_success_page_with_an_unknown_session_is_a_friendly_404(client, stripe_api, session_id):
    response = client.get("/checkout/success/", {"session_id": session_id})
    assert response.status_code == 404
    assert "We could not find that checkout" in response.content.decode()


def test_cancel_page_keeps_the_cart_and_releases_the_stock(client, product, stripe_api):
    add(client, product, 2)
    client.post("/checkout/", {"email": "dana@example.com"})
    order = Order.objects.get()
    response = client.get("/checkout/cancel/", {"order": order.token})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your cart is kept just as you left it." in html
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Product.objects.get(pk=product.pk).stock == 20
    assert session_cart(client).lines.get().quantity == 2
    # and the customer can check out again
    assert client.post("/checkout/", {"email": "dana@example.com"}).status_code == 303


def test_cancel_page_with_a_foreign_or_missing_order_changes_nothing(client, stripe_api):
    order = OrderFactory()
    for params in ({"order": order.token}, {}, {"order": "x" * 500}):
        assert client.get("/checkout/cancel/", params).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_order_page_shows_lines_history_and_tracking_once_shipped(client, product):
    order = OrderFactory(total=Decimal("178.00"))
    OrderLineFactory(order=order, product=product, quantity=2)
    html = client.get(f"/orders/{order.token}/").content.decode()
    assert order.number in html
    assert "Pending payment" in html
    assert "tracking-link" not in html

    transition_order(order=order, to_status=Order.Status.PAID)
    mark_shipped(order=order, carrier="UPS", tracking_number="1Z999AA10123456784")
    html = client.get(f"/orders/{order.token}/").content.decode()
    assert "Shipped" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    assert html.index("Paid") < html.index("Shipped</strong>")


def test_unknown_order_token_is_a_friendly_404(client):
    response = client.get("/orders/not-a-real-token/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_tracking_links_only_for_known_carriers():
    assert tracking_url("USPS", "9400 1000") == "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000"
    assert tracking_url("FedEx Ground", "123").startswith("https://www.fedex.com/")
    assert tracking_url("Pigeon post", "123") == ""
    assert tracking_url("UPS", "  ") == ""


def test_pages_cost_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    products = ProductFactory.create_batch(6)
    for product in products:
        add(client, product, 1)
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/cart/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/shop/{products[0].slug}/").status_code == 200


def test_a_delayed_payment_says_the_bank_is_processing_it(client, product, stripe_api):
    add(client, product, 1)
    client.post("/checkout/", {"email": "dana@example.com"})
    order = Order.objects.get()
    stripe_api.complete_session(order.checkout_session_id, outcome="delayed")
    html = client.get("/checkout/success/", {"session_id": order.checkout_session_id}).content.decode()
    assert "Your bank is processing the payment" in html
    assert '<meta http-equiv="refresh" content="30">' in html


def test_get_on_checkout_goes_back_to_the_cart_and_pages_answer_head(client, product):
    assert client.get("/checkout/")["Location"] == "/cart/"
    for url in ("/", "/shop/foosfoot/", "/cart/", "/checkout/cancel/"):
        assert client.head(url).status_code == 200, url


def test_checkout_while_stripe_is_unreachable_keeps_the_cart_and_says_so(client, product, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"  # nothing listens on port 1
    add(client, product, 2)
    response = client.post("/checkout/", {"email": "dana@example.com"})
    assert response.status_code == 200
    assert "Payment is unavailable right now; nothing was charged." in response.content.decode()
    assert Product.objects.get(pk=product.pk).stock == 20
    assert session_cart(client).lines.get().quantity == 2


def test_success_page_while_stripe_is_unreachable_shows_what_we_know(client, product, stripe_api, settings):
    add(client, product, 1)
    client.post("/checkout/", {"email": "dana@example.com"})
    order = Order.objects.get()
    settings.STRIPE_API_BASE = "http://127.0.0.1:1"
    html = client.get("/checkout/success/", {"session_id": order.checkout_session_id}).content.decode()
    assert "Your payment is being confirmed" in html


def test_product_page_describes_the_offer_for_search_engines(client, product):
    import json
    import re

    html = client.get("/shop/foosfoot/").content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    offer = next(json.loads(b) for b in blocks if json.loads(b)["@type"] == "Product")["offers"]
    assert offer["price"] == "89.00"
    assert offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert '<link rel="canonical" href="http://testserver/shop/foosfoot/">' in html


@pytest.mark.django_db
def test_garbage_tokens_in_page_urls_are_404_not_500(client):
    # PostgreSQL refuses NUL bytes: they must never reach a query.
    for path in ("/orders/%00abcdefghijk/", "/orders/" + "a" * 5000 + "/", "/orders/short/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/checkout/cancel/?order=%00abcdefghijk").status_code == 200
    assert client.get("/checkout/success/?session_id=%00").status_code == 404
