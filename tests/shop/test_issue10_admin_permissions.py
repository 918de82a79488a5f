"""Issue 10, item 1 (shop and payments): a staff user who may only view the shop's models changes nothing
through any admin action, whatever the action's form asks for."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import RequestFactory

from payments.events import process_stripe_event
from payments.models import StripeEvent
from shop.models import Cart, CartLine, Order, OrderEmail, OrderEvent, OrderLine, Product, Refund
from tests.shop.conftest import checkout

pytestmark = pytest.mark.django_db
APPS = ("shop", "payments")
WATCHED = [Product, Order, OrderLine, OrderEvent, OrderEmail, Refund, Cart, CartLine, StripeEvent]


def admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in APPS
    ]


def every_action(model_admin) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = User(is_staff=True, is_superuser=True, is_active=True)
    return list(model_admin.get_actions(request))


def snapshot() -> list:
    return [list(model.objects.order_by("pk").values()) for model in WATCHED]


@pytest.fixture
def shop_world(stripe_api, foosfoot, django_capture_on_commit_callbacks):
    paid = checkout(foosfoot)
    session = stripe_api.complete_session(paid.session_id, "paid", send_webhook=False)
    with django_capture_on_commit_callbacks(execute=True):
        process_stripe_event(event=stripe_api.build_event("checkout.session.completed", session))
    checkout(foosfoot, quantity=2, email="someone@example.org")  # still pending
    mail.outbox.clear()
    return stripe_api


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=APPS, codename__startswith="view_"))
    client.force_login(user)
    return client


def test_issue10_item1_a_view_only_staff_user_changes_nothing_through_any_shop_action(shop_world, viewer):
    before = snapshot()
    stock = list(Product.objects.values_list("stock", flat=True))
    tried = []
    for model, model_admin in admins():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        selected = [str(pk) for pk in model.objects.values_list("pk", flat=True)]
        for name in every_action(model_admin):
            data = {"action": name, "_selected_action": selected, "index": 0}
            for extra in ({}, {"apply": "1", "post": "yes", "carrier": "UPS", "tracking_number": "1Z9", "amount": ""}):
                response = viewer.post(url, {**data, **extra})
                assert response.status_code in (200, 302, 403), (name, response.status_code)
                tried.append(name)
    assert {"mark_shipped", "refund_orders", "cancel_unpaid", "delete_selected"} <= set(tried)
    assert snapshot() == before
    assert list(Product.objects.values_list("stock", flat=True)) == stock
    assert shop_world.refunds == {}
    assert all(session["status"] != "expired" for session in shop_world.sessions.values())
    assert mail.outbox == []


def test_issue10_item1_every_shop_action_that_changes_data_asks_more_than_view():
    read_only = {"export_csv", "packing_slip"}  # they change nothing, so viewing is enough
    for _model, model_admin in admins():
        for name in every_action(model_admin):
            func = model_admin.get_action(name)[0]
            permissions = set(getattr(func, "allowed_permissions", ()))
            assert permissions, f"{type(model_admin).__name__}.{name} declares no permission"
            if name not in read_only:
                assert permissions - {"view"}, f"{type(model_admin).__name__}.{name} needs only view"
