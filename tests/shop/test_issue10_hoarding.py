"""Issue 10, item 2: nobody can hold all the stock. Checkouts are limited per client address and per email,
the units one client (or one email) holds in unpaid orders are capped, and an abandoned hold ends early."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from shop.carts import add_to_cart, create_cart
from shop.limits import client_hash
from shop.models import Order, OrderLine, Product
from shop.reconciliation import reconcile_pending_orders
from tests.factories import ProductFactory
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
HOARDER = "203.0.113.66"
BUYER = "198.51.100.23"


@pytest.fixture
def realistic_limits(settings):
    """The project's defaults (pytest's environment lifts them for the rest of the suite)."""
    cache.clear()
    settings.SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR = 20
    settings.SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR = 10
    settings.SHOP_MAX_RESERVED_UNITS = 10
    settings.SHOP_MAX_RESERVED_SHARE = 0.5
    settings.SHOP_RESERVATION_MINUTES = 15
    yield settings
    cache.clear()


@pytest.fixture
def foosfoot_20(db):
    return ProductFactory(slug="foosfoot", name="FoosFoot", sku="FF-1", price=Decimal("59.00"), stock=20)


def html_checkout(product, quantity: int, email: str, address: str, **headers):
    """One browser (its own session and cart) that adds `quantity` units and checks out."""
    browser = Client(REMOTE_ADDR=address, **headers)
    assert browser.post(f"/shop/{product.slug}/", {"quantity": quantity}).status_code == 302
    return browser.post("/checkout/", {"email": email})


def api_checkout(api_client, product, quantity: int, email: str, address: str):
    cart = create_cart()
    add_to_cart(cart=cart, product=product, quantity=quantity)
    return api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": email}, format="json", REMOTE_ADDR=address)


def stock(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_issue10_item2_a_hoarding_script_is_stopped_and_a_real_buyer_still_checks_out(
    stripe_api, foosfoot_20, realistic_limits
):
    answers = [html_checkout(foosfoot_20, 10, f"hoarder{n}@example.net", HOARDER) for n in range(11)]
    answers += [html_checkout(foosfoot_20, 1, f"small{n}@example.net", HOARDER) for n in range(5)]

    assert answers[0].status_code == 303  # one cart of ten: half the stock, no more
    refused = answers[1:]
    assert all(answer.status_code in (409, 429) for answer in refused)
    assert all('class="field-error"' in answer.content.decode() for answer in refused)
    assert "unpaid checkouts" in refused[0].content.decode()
    assert stock(foosfoot_20) == 10
    held = OrderLine.objects.filter(order__status=Order.Status.PENDING_PAYMENT).values_list("quantity", flat=True)
    assert sum(held) <= 20 // 2  # the hoarder holds half the stock at most

    buyer = html_checkout(foosfoot_20, 2, "dana@example.com", BUYER)
    assert buyer.status_code == 303
    assert buyer["Location"].startswith(stripe_api.base_url)
    assert stock(foosfoot_20) == 8


def test_issue10_item2_html_checkouts_are_limited_per_client_per_hour(stripe_api, foosfoot_20, realistic_limits):
    realistic_limits.SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR = 3
    answers = [html_checkout(foosfoot_20, 1, f"person{n}@example.net", HOARDER) for n in range(4)]
    assert [answer.status_code for answer in answers] == [303, 303, 303, 429]
    assert "Too many checkouts" in answers[-1].content.decode()
    assert int(answers[-1]["Retry-After"]) > 0
    assert html_checkout(foosfoot_20, 1, "dana@example.com", BUYER).status_code == 303
    assert stock(foosfoot_20) == 20 - 4


def test_issue10_item2_api_checkouts_are_limited_per_email_whatever_the_address(
    api_client, stripe_api, foosfoot_20, realistic_limits
):
    realistic_limits.SHOP_CHECKOUTS_PER_EMAIL_PER_HOUR = 2
    answers = [api_checkout(api_client, foosfoot_20, 1, "Same.Person@example.net", f"192.0.2.{n}") for n in range(1, 4)]
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[-1].json()["code"] == "too_many_checkouts"
    assert int(answers[-1]["Retry-After"]) > 0
    refused = api_checkout(api_client, foosfoot_20, 1, "same.person@EXAMPLE.net", "192.0.2.9")
    assert refused.status_code == 429  # one address, whatever its case
    assert api_checkout(api_client, foosfoot_20, 1, "dana@example.com", "192.0.2.9").status_code == 201


def test_issue10_item2_the_units_one_email_holds_are_capped_in_the_api(
    api_client, stripe_api, foosfoot_20, realistic_limits
):
    assert api_checkout(api_client, foosfoot_20, 6, "collector@example.net", "192.0.2.1").status_code == 201
    refused = api_checkout(api_client, foosfoot_20, 5, "collector@example.net", "192.0.2.2")
    assert refused.status_code == 409
    assert refused.json()["code"] == "too_many_reserved"
    assert "FoosFoot" in refused.json()["message"]
    assert api_checkout(api_client, foosfoot_20, 4, "collector@example.net", "192.0.2.3").status_code == 201
    assert stock(foosfoot_20) == 10


def test_issue10_item2_a_small_stock_still_sells_its_last_unit(api_client, stripe_api, realistic_limits):
    last = ProductFactory(stock=1)
    assert api_checkout(api_client, last, 1, "dana@example.com", BUYER).status_code == 201


def test_issue10_item2_an_abandoned_hold_is_expired_by_the_periodic_pass(
    stripe_api, foosfoot_20, realistic_limits, django_capture_on_commit_callbacks
):
    abandoned = checkout(foosfoot_20, quantity=3)
    fresh = checkout(foosfoot_20, quantity=2)
    unstored = checkout(foosfoot_20, quantity=1)  # its session id never saved: only Stripe's expiry ends it
    long_ago = timezone.now() - timedelta(minutes=16)
    Order.objects.filter(pk=abandoned.order.pk).update(created_at=long_ago)
    Order.objects.filter(pk=unstored.order.pk).update(created_at=long_ago, checkout_session_id="")
    assert stripe_api.session(abandoned.session_id)["status"] == "open"  # Stripe would keep it 31 minutes

    with django_capture_on_commit_callbacks(execute=True):
        counts = reconcile_pending_orders()

    assert counts["cancelled"] == 1
    assert stripe_api.session(abandoned.session_id)["status"] == "expired"
    assert Order.objects.get(pk=abandoned.order.pk).status == Order.Status.CANCELLED
    assert Order.objects.get(pk=fresh.order.pk).status == Order.Status.PENDING_PAYMENT
    assert stripe_api.session(fresh.session_id)["status"] == "open"
    assert Order.objects.get(pk=unstored.order.pk).status == Order.Status.PENDING_PAYMENT
    assert stock(foosfoot_20) == 20 - 2 - 1


def test_issue10_item2_a_hold_past_its_time_no_longer_counts_against_the_client(
    stripe_api, foosfoot_20, realistic_limits
):
    assert html_checkout(foosfoot_20, 10, "dana@example.com", BUYER).status_code == 303
    assert html_checkout(foosfoot_20, 1, "dana@example.com", BUYER).status_code == 409
    Order.objects.update(created_at=timezone.now() - timedelta(minutes=16))  # not yet reconciled
    assert html_checkout(foosfoot_20, 1, "dana@example.com", BUYER).status_code == 303


def test_issue10_item2_the_client_is_kept_as_a_keyed_hash_behind_the_configured_proxies(
    stripe_api, foosfoot_20, realistic_limits
):
    realistic_limits.REST_FRAMEWORK = {**realistic_limits.REST_FRAMEWORK, "NUM_PROXIES": 1}
    html_checkout(foosfoot_20, 1, "a@example.net", "10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    html_checkout(foosfoot_20, 1, "b@example.net", "10.0.0.6", HTTP_X_FORWARDED_FOR="7.7.7.7, 198.51.100.7")
    first, second = Order.objects.order_by("pk")
    assert first.client_hash == second.client_hash  # one client behind the proxy, whatever it claims before
    assert len(first.client_hash) == 32
    assert "198.51.100.7" not in str(Order.objects.filter(pk=first.pk).values().get())


def test_issue10_item2_without_proxies_a_forged_forwarded_for_is_no_new_client(
    stripe_api, foosfoot_20, realistic_limits
):
    realistic_limits.REST_FRAMEWORK = {**realistic_limits.REST_FRAMEWORK, "NUM_PROXIES": None}
    realistic_limits.SHOP_CHECKOUTS_PER_CLIENT_PER_HOUR = 2
    answers = [
        html_checkout(foosfoot_20, 1, f"p{n}@example.net", HOARDER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        for n in range(3)
    ]
    assert [answer.status_code for answer in answers] == [303, 303, 429]
    assert len({order.client_hash for order in Order.objects.all()}) == 1


def test_issue10_item2_client_hash_is_not_the_address(rf):
    request = rf.get("/", REMOTE_ADDR="198.51.100.7")
    assert client_hash(request) == client_hash(rf.get("/", REMOTE_ADDR="198.51.100.7"))
    assert client_hash(request) != client_hash(rf.get("/", REMOTE_ADDR="198.51.100.8"))
    assert len(client_hash(request)) == 32
