"""A staff stock edit in the admin never undoes the sales, releases and low-stock mark written while the form
was open: the change staff made is applied to the stock of the moment, under the row lock (shop.admin_stock)."""

import re
import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from shop.admin import ProductAdmin
from shop.carts import add_to_cart, create_cart
from shop.checkout import reserve_cart
from shop.models import Product
from shop.staff import cancel_order
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def change_url(product: Product) -> str:
    return f"/admin/shop/product/{product.pk}/change/"


def buy(product: Product, quantity: int):
    """A real checkout's reservation: the units leave stock by UPDATE under the row lock."""
    cart = create_cart()
    add_to_cart(cart=cart, product=product, quantity=quantity)
    return reserve_cart(cart=cart, email="buyer@example.com")


def open_form(client, product: Product) -> dict:
    """The change form as staff see it: its fields as they would post them back, the hidden stock_seen too."""
    product = row(product)
    page = client.get(change_url(product))
    assert page.status_code == 200
    html = page.content.decode()
    [seen] = re.findall(r'<input type="hidden" name="stock_seen" value="(\d+)"', html)
    return {
        "name": product.name,
        "slug": product.slug,
        "sku": product.sku,
        "description": product.description,
        "is_active": "on",
        "position": str(product.position),
        "price": str(product.price),
        "currency": product.currency,
        "stock": str(product.stock),
        "stock_seen": seen,
        "low_stock_threshold": str(product.low_stock_threshold),
        "image_url": product.image_url,
        "image_alt": product.image_alt,
    }


def row(product: Product) -> Product:
    return Product.objects.get(pk=product.pk)


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def last_history(product: Product) -> str:
    return LogEntry.objects.filter(object_id=str(product.pk)).latest("action_time").get_change_message()


@contextmanager
def shop_writes_during_save(product: Product, **changes):
    """The shop writes the product row right before the admin's save writes it (the worst moment: after the
    admin loaded the row)."""

    def write(sender, instance, **kwargs):
        if instance.pk == product.pk:
            Product.objects.filter(pk=product.pk).update(**changes)

    pre_save.connect(write, sender=Product, dispatch_uid="test.shop_writes_during_save")
    try:
        yield
    finally:
        pre_save.disconnect(sender=Product, dispatch_uid="test.shop_writes_during_save")


@pytest.fixture
def mat(db):
    return ProductFactory(name="Yoga mat", sku="MAT-1", stock=40, low_stock_threshold=5, price=Decimal("30.00"))


def test_two_sales_during_a_price_edit_stay_sold(admin_client, mat):
    form = open_form(admin_client, mat)
    assert form["stock_seen"] == "40"
    buy(mat, 2)  # 38 left while the form is open
    response = admin_client.post(change_url(mat), {**form, "price": "32.00"})
    assert response.status_code == 302
    saved = row(mat)
    assert (saved.price, saved.stock, saved.reserved) == (Decimal("32.00"), 38, 2)
    assert "2 units sold while you edited; you left stock as it was: it is now 38." in notices(response)
    assert last_history(mat) == "Changed Price."  # staff did not change the stock


def test_a_restock_typed_during_sales_adds_to_what_is_left(admin_client, mat):
    form = open_form(admin_client, mat)
    buy(mat, 2)
    response = admin_client.post(change_url(mat), {**form, "stock": "50"})  # 10 received
    assert response.status_code == 302
    assert row(mat).stock == 48
    assert "2 units sold while you edited; your +10 was applied to that: stock is now 48." in notices(response)
    assert last_history(mat) == "Changed Stock (+10: 38 → 48)."


def test_lowering_stock_by_more_than_is_left_is_refused_and_nothing_is_saved(admin_client):
    stool = ProductFactory(stock=3, price=Decimal("49.00"))
    form = open_form(admin_client, stool)
    buy(stool, 2)  # 1 left
    response = admin_client.post(change_url(stool), {**form, "stock": "0", "price": "45.00"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["stock"] == [
        "Only 1 unit left now (2 units sold while you edited): you can lower stock by at most 1 (to 2 or more on this form)."
    ]
    assert (row(stool).stock, row(stool).price) == (1, Decimal("49.00"))
    assert not LogEntry.objects.filter(object_id=str(stool.pk)).exists()
    # The form shown again still carries what staff first saw: typing 2 now takes the last unit.
    assert 'name="stock_seen" value="3"' in response.content.decode()
    assert admin_client.post(change_url(stool), {**form, "stock": "2"}).status_code == 302
    assert row(stool).stock == 0


def test_an_edit_that_leaves_stock_alone_keeps_a_release_made_meanwhile(admin_client, mat):
    order = buy(mat, 3)  # 37
    form = open_form(admin_client, mat)
    cancel_order(order=order)  # the 3 units come back: 40
    response = admin_client.post(change_url(mat), {**form, "description": "Thicker now."})
    assert response.status_code == 302
    assert (row(mat).stock, row(mat).description) == (40, "Thicker now.")
    assert (
        "stock went up by 3 while you edited (orders released or restocked); you left stock as it was: it is now 40."
        in notices(response)
    )


def test_a_sale_and_alert_mark_landing_right_before_the_save_are_not_overwritten(admin_client, mat):
    form = open_form(admin_client, mat)
    alerted = timezone.now()
    with shop_writes_during_save(mat, stock=4, reserved=36, low_stock_alerted_at=alerted):
        response = admin_client.post(change_url(mat), {**form, "name": "Yoga mat, cork"})
    assert response.status_code == 302
    saved = row(mat)
    assert (saved.name, saved.stock, saved.reserved, saved.low_stock_alerted_at) == ("Yoga mat, cork", 4, 36, alerted)


def test_a_stock_edit_keeps_the_low_stock_mark(admin_client, mat):
    Product.objects.filter(pk=mat.pk).update(stock=5)
    form = open_form(admin_client, mat)
    alerted = timezone.now()
    Product.objects.filter(pk=mat.pk).update(stock=4, low_stock_alerted_at=alerted)  # a sale crossed, staff told
    assert admin_client.post(change_url(mat), {**form, "stock": "4", "low_stock_threshold": "3"}).status_code == 302
    saved = row(mat)
    assert (saved.stock, saved.low_stock_threshold, saved.low_stock_alerted_at) == (3, 3, alerted)


def test_a_page_without_the_stock_it_showed_is_refused(admin_client, mat):
    form = open_form(admin_client, mat)
    del form["stock_seen"]
    response = admin_client.post(change_url(mat), {**form, "stock": "50"})
    assert response.status_code == 200
    assert "This page is out of date" in str(response.context["adminform"].form.non_field_errors())
    assert row(mat).stock == 40


def test_the_add_form_still_makes_a_product(admin_client):
    page = admin_client.get("/admin/shop/product/add/")
    assert page.status_code == 200
    response = admin_client.post(
        "/admin/shop/product/add/",
        {
            "name": "Foam roller",
            "slug": "foam-roller",
            "sku": "ROLL-1",
            "description": "",
            "is_active": "on",
            "position": "0",
            "price": "25.00",
            "currency": "USD",
            "stock": "12",
            "stock_seen": "",
            "low_stock_threshold": "5",
            "image_url": "",
            "image_alt": "",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(sku="ROLL-1")
    assert (product.stock, product.price) == (12, Decimal("25.00"))
    assert last_history(product) == "Added."


def test_a_staff_user_who_may_only_view_products_cannot_post_a_change(client, mat):
    viewer = User.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename="view_product"))
    client.force_login(viewer)
    page = client.get(change_url(mat))
    assert page.status_code == 200
    assert "stock_seen" not in page.content.decode()  # a read-only page has nothing to post back
    form = {"name": mat.name, "slug": mat.slug, "sku": mat.sku, "price": "1.00", "currency": "USD"}
    response = client.post(change_url(mat), {**form, "stock": "0", "stock_seen": "40", "position": "0"})
    assert response.status_code == 403
    assert (row(mat).stock, row(mat).price) == (40, Decimal("30.00"))


@pytest.mark.django_db(transaction=True)
def test_a_save_waits_for_a_checkout_holding_the_row_and_applies_the_change_after_it(admin_client, mat):
    form = open_form(admin_client, mat)
    locked, release = threading.Event(), threading.Event()

    def checkout_holding_the_row():
        try:
            with transaction.atomic():
                Product.objects.select_for_update().get(pk=mat.pk)
                locked.set()
                release.wait(10)
                Product.objects.filter(pk=mat.pk).update(stock=38)  # two units sold at the end of it
        finally:
            connection.close()

    sale = threading.Thread(target=checkout_holding_the_row)
    sale.start()
    assert locked.wait(10)
    threading.Timer(0.5, release.set).start()
    response = admin_client.post(change_url(mat), {**form, "stock": "50"})
    sale.join(10)
    assert response.status_code == 302
    assert row(mat).stock == 48


def test_the_lists_editable_columns_write_only_themselves(admin_client, mat):
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(mat.pk),
        "form-0-is_active": "on",
        "form-0-position": "3",
        "_save": "Save",
    }
    with shop_writes_during_save(mat, stock=38, reserved=2):
        assert admin_client.post("/admin/shop/product/", form).status_code == 302
    saved = row(mat)
    assert (saved.position, saved.stock, saved.reserved) == (3, 38, 2)
    assert last_history(mat) == "Changed Position."


@pytest.mark.parametrize("changes", [{"price": "32.00"}, {"stock": "50"}])
def test_a_product_deleted_while_its_form_was_open_is_said_not_a_500(admin_client, mat, monkeypatch, changes):
    """Another staff member deletes the product after this save loaded it (the narrowest window: inside the save's
    own request): the save changes nothing and staff are told, as the admin does for a product gone earlier. (The
    delete is made here on the test's one connection, inside the save's transaction, so the save's rollback
    brings the row back: what matters is the answer, and that nothing was written.)"""
    form = open_form(admin_client, mat)
    loaded = ProductAdmin.get_object

    def load_then_lose(self, request, object_id, from_field=None):
        product = loaded(self, request, object_id, from_field)
        Product.objects.filter(pk=mat.pk).delete()
        return product

    monkeypatch.setattr(ProductAdmin, "get_object", load_then_lose)
    response = admin_client.post(change_url(mat), {**form, **changes})
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert any("doesn’t exist" in notice for notice in notices(response)), notices(response)
    assert (row(mat).price, row(mat).stock) == (Decimal("30.00"), 40)
    assert not LogEntry.objects.filter(object_id=str(mat.pk), action_flag=2).exists()  # no "changed" history
