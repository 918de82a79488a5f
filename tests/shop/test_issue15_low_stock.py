"""Issue 15, low-stock alerts: staff (STAFF_ALERT_EMAILS) get one email each time a product falls to its
low-stock threshold, through the real checkout, a real Celery worker on Redis and a real SMTP sink."""

import logging
import threading
import time

import pytest
from django.db import connection

from shop import alerts
from shop.carts import add_to_cart, create_cart
from shop.checkout import reserve_cart
from shop.models import Product
from shop.staff import cancel_order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = "stock@hodhod.example"


@pytest.fixture
def staff_alerts(settings):
    settings.STAFF_ALERT_EMAILS = [STAFF]
    settings.SITE_URL = "https://shop.hodhod.example"


@pytest.fixture
def stool(db):
    """Seven on hand, told at five or fewer."""
    return ProductFactory(name="Balance stool", sku="STOOL-1", stock=7, low_stock_threshold=5)


def buy(product: Product, quantity: int):
    cart = create_cart()
    add_to_cart(cart=cart, product=product, quantity=quantity)
    return reserve_cart(cart=cart, email="buyer@example.com")


def alerted_at(product: Product):
    return Product.objects.values_list("low_stock_alerted_at", flat=True).get(pk=product.pk)


def no_more_mail(mailbox, count: int, wait: float = 1.5) -> None:
    """Give a queued task time to arrive, then check the sink still holds `count` messages."""
    time.sleep(wait)
    assert len(mailbox) == count, [m["Subject"] for m in mailbox]


def test_issue15_a_checkout_crossing_the_threshold_mails_staff_once(staff_alerts, stool, mailbox, celery_worker):
    buy(stool, 1)  # 6 left: above the threshold
    no_more_mail(mailbox, 0)
    assert alerted_at(stool) is None

    buy(stool, 2)  # 4 left: crossed
    [message] = mailbox.wait_for(1)
    assert message["To"] == STAFF
    assert message["Subject"] == "Low stock: Balance stool (4 left)"
    text = message.get_body(("plain",)).get_content()
    assert "Left: 4 units" in text and "Low-stock threshold: 5" in text
    assert f"https://shop.hodhod.example/admin/shop/product/{stool.pk}/change/" in text
    html = message.get_body(("html",)).get_content()
    assert f'href="https://shop.hodhod.example/admin/shop/product/{stool.pk}/change/"' in html
    assert alerted_at(stool) is not None

    buy(stool, 1)  # 3 left: still low, nothing new to say
    no_more_mail(mailbox, 1)
    assert alerts.alert_low_stock() == 0  # nor does the beat task's pass
    no_more_mail(mailbox, 1, wait=0)


def test_issue15_restocked_then_crossing_again_mails_a_second_time(staff_alerts, stool, mailbox, celery_worker):
    first = buy(stool, 3)  # 4 left
    mailbox.wait_for(1)

    cancel_order(order=first)  # its 3 units go back: 7 on hand, above the threshold again
    assert Product.objects.get(pk=stool.pk).stock == 7
    assert alerted_at(stool) is None

    buy(stool, 2)  # 5 left: at the threshold, a new crossing
    messages = mailbox.wait_for(2)
    assert [m["Subject"] for m in messages] == [
        "Low stock: Balance stool (4 left)",
        "Low stock: Balance stool (5 left)",
    ]


def test_issue15_a_product_saved_in_the_admin_is_checked(staff_alerts, stool, admin_client, mailbox, celery_worker):
    form = {
        "name": stool.name,
        "slug": stool.slug,
        "sku": stool.sku,
        "description": "",
        "is_active": "on",
        "position": "0",
        "price": "49.00",
        "currency": "USD",
        "low_stock_threshold": "5",
        "tax_code": stool.tax_code,
        "image_url": "",
        "image_alt": "",
    }
    url = f"/admin/shop/product/{stool.pk}/change/"
    # stock_seen: what the page showed; the save applies the change from it (shop.admin_stock)
    assert admin_client.post(url, {**form, "stock": "2", "stock_seen": "7"}).status_code == 302  # 2 on the shelf
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Low stock: Balance stool (2 left)"
    assert admin_client.post(url, {**form, "stock": "40", "stock_seen": "2"}).status_code == 302  # restocked
    assert alerted_at(stool) is None
    assert admin_client.post(url, {**form, "stock": "1", "stock_seen": "40"}).status_code == 302
    assert [m["Subject"] for m in mailbox.wait_for(2)][1] == "Low stock: Balance stool (1 left)"


def test_issue15_an_admin_restock_is_seen_by_the_beat_pass(staff_alerts, stool, mailbox):
    Product.objects.filter(pk=stool.pk).update(stock=2)  # e.g. an admin edit: no hook ran
    assert alerts.alert_low_stock() == 1
    assert len(mailbox.wait_for(1)) == 1
    Product.objects.filter(pk=stool.pk).update(stock=40)
    assert alerts.alert_low_stock() == 0
    assert alerted_at(stool) is None  # cleared: the next fall alerts again
    Product.objects.filter(pk=stool.pk).update(stock=1)
    assert alerts.alert_low_stock() == 1
    assert [m["Subject"] for m in mailbox.wait_for(2)][1] == "Low stock: Balance stool (1 left)"


def test_issue15_many_concurrent_checks_of_one_crossing_send_one_mail(staff_alerts, stool, mailbox):
    Product.objects.filter(pk=stool.pk).update(stock=3)
    checkers = 8
    barrier = threading.Barrier(checkers)
    told: list[int] = []
    lock = threading.Lock()

    def check():
        try:
            barrier.wait(timeout=30)
            result = alerts.alert_low_stock()
            with lock:
                told.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(checkers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(told) == [0] * (checkers - 1) + [1]
    no_more_mail(mailbox, 1)


def test_issue15_two_concurrent_checkouts_crossing_at_once_send_one_mail(staff_alerts, mailbox, celery_worker):
    product = ProductFactory(name="Toe spreader", stock=6, low_stock_threshold=5)
    carts = []
    for _ in range(2):
        cart = create_cart()
        add_to_cart(cart=cart, product=product, quantity=1)
        carts.append(cart)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def checkout(cart):
        try:
            barrier.wait(timeout=30)
            reserve_cart(cart=cart, email="buyer@example.com")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert Product.objects.get(pk=product.pk).stock == 4  # both crossed: 5, then 4
    [message] = mailbox.wait_for(1)
    assert message["Subject"].startswith("Low stock: Toe spreader")
    no_more_mail(mailbox, 1)


def test_issue15_no_alert_email_address_means_no_mail(settings, stool, mailbox, celery_worker):
    settings.STAFF_ALERT_EMAILS = []
    buy(stool, 5)  # 2 left
    assert alerts.alert_low_stock() == 0
    no_more_mail(mailbox, 0)
    assert alerted_at(stool) is None  # nobody was told: set the setting and the next pass tells


def test_issue15_a_mail_that_fails_gives_its_claim_back(staff_alerts, stool, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    Product.objects.filter(pk=stool.pk).update(stock=1)
    with caplog.at_level(logging.ERROR, logger="shop.alerts"):
        assert alerts.alert_low_stock() == 0
    assert "next pass retries" in caplog.text
    assert alerted_at(stool) is None  # the next pass tries again


def test_issue15_an_inactive_product_is_not_alerted(staff_alerts, stool, mailbox):
    Product.objects.filter(pk=stool.pk).update(stock=0, is_active=False)
    assert alerts.alert_low_stock() == 0
    no_more_mail(mailbox, 0, wait=0)
