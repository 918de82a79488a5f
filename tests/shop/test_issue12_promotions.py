"""Issue 12: promotion codes staff make in the admin become a coupon and a promotion code on Stripe (after
commit, idempotently, through the one client); only "active" changes afterwards; the list shows what each code
brought in, in constant queries. Shipping rates are edited in the admin too."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from shop.models import Order, PromotionCode, ShippingRate
from shop.promotions import sync_promotion_code
from shop.reconciliation import reconcile_pending_orders
from tests.factories import OrderFactory, PromotionCodeFactory

pytestmark = pytest.mark.django_db
CODES = "/admin/shop/promotioncode/"


def staff(*codenames: str) -> User:
    user = User.objects.create_user(f"clerk-{len(codenames)}", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="shop", codename__in=codenames))
    return User.objects.get(pk=user.pk)


def form(**fields) -> dict:
    data = {"code": "", "percent_off": "", "amount_off": "", "currency": "USD", "max_redemptions": ""}
    data |= {"expires_at_0": "", "expires_at_1": "", "is_active": "on", "_save": "Save"}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def manager(client):
    client.force_login(staff("view_promotioncode", "add_promotioncode", "change_promotioncode"))
    return client


def test_saving_a_code_makes_its_coupon_and_promotion_code_on_stripe(
    manager, stripe_api, django_capture_on_commit_callbacks
):
    expires = timezone.localtime() + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            f"{CODES}add/",
            form(
                code="Spring26",
                amount_off="5.00",
                first_order_only="on",
                max_redemptions="100",
                expires_at_0=expires.strftime("%Y-%m-%d"),
                expires_at_1=expires.strftime("%H:%M:%S"),
            ),
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    promo = PromotionCode.objects.get()
    coupon = stripe_api.coupons[promo.stripe_coupon_id]
    stripe_promo = stripe_api.promotion_codes[promo.stripe_promotion_code_id]
    assert (coupon["amount_off"], coupon["currency"], coupon["duration"]) == (500, "usd", "once")
    assert stripe_promo["promotion"] == {"type": "coupon", "coupon": coupon["id"]}
    assert (stripe_promo["code"], stripe_promo["max_redemptions"], stripe_promo["active"]) == ("Spring26", 100, True)
    assert stripe_promo["restrictions"]["first_time_transaction"] is True
    assert stripe_promo["expires_at"] == int(expires.replace(microsecond=0).timestamp())
    assert (promo.stripe_active, promo.sync_error) == (True, "")
    # Saving again, or a second pass, makes nothing new.
    assert sync_promotion_code(promotion_id=promo.pk)
    assert (len(stripe_api.coupons), len(stripe_api.promotion_codes)) == (1, 1)
    listing = manager.get(CODES).content.decode()
    assert "Spring26" in listing and "5.00 USD off" in listing and "synced" in listing


def test_only_active_changes_once_on_stripe_and_toggling_updates_the_promotion_code(
    manager, stripe_api, django_capture_on_commit_callbacks
):
    promo = PromotionCodeFactory(code="TEN", percent_off=Decimal("10"))
    assert sync_promotion_code(promotion_id=promo.pk)
    page = manager.get(f"{CODES}{promo.pk}/change/").content.decode()
    assert 'name="percent_off"' not in page and 'name="is_active"' in page  # Stripe keeps the terms as made

    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"{CODES}{promo.pk}/change/", {"_save": "Save"})  # unticked: switched off
    assert stripe_api.promotion_codes[PromotionCode.objects.get().stripe_promotion_code_id]["active"] is False
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(f"{CODES}{promo.pk}/change/", {"is_active": "on", "_save": "Save"})

    promo.refresh_from_db()
    assert (promo.is_active, promo.stripe_active, promo.active_changes) == (True, True, 2)
    assert stripe_api.promotion_codes[promo.stripe_promotion_code_id]["active"] is True
    assert len(stripe_api.coupons) == 1  # a coupon cannot be switched off; its code can
    assert PromotionCode.objects.get().percent_off == Decimal("10.00")


def test_codes_are_checked_before_they_reach_stripe(manager, stripe_api):
    PromotionCodeFactory(code="TAKEN")
    for fields, error in (
        ({"code": "taken", "percent_off": "5"}, "Another promotion has this code"),
        ({"code": "BOTH1", "percent_off": "5", "amount_off": "5"}, "not both"),
        ({"code": "has space", "percent_off": "5"}, "letters and digits"),
        ({"code": "TOOMUCH", "percent_off": "120"}, "less than or equal to 100"),
    ):
        response = manager.post(f"{CODES}add/", form(**fields))
        assert response.status_code == 200 and error in response.content.decode(), fields
    assert PromotionCode.objects.count() == 1 and stripe_api.coupons == {}


@pytest.mark.django_db(transaction=True)  # the sync runs after the admin's own commit, within the request
def test_stripe_unreachable_is_said_and_reconciliation_makes_the_code_later(manager, stripe_api):
    stripe_api.fail_next("POST", "/v1/coupons", status=500, times=10)
    response = manager.post(f"{CODES}add/", form(code="LATER", percent_off="15"), follow=True)
    assert "Stripe could not take the change yet" in response.content.decode()
    promo = PromotionCode.objects.get()
    assert promo.sync_error and not promo.stripe_coupon_id

    stripe_api.reset()
    counts = reconcile_pending_orders()

    promo.refresh_from_db()
    assert counts["codes_synced"] == 1 and promo.sync_error == ""
    assert stripe_api.promotion_codes[promo.stripe_promotion_code_id]["code"] == "LATER"
    assert reconcile_pending_orders()["codes_synced"] == 0


@pytest.mark.parametrize("codes", [3, 30])
def test_the_list_shows_each_codes_redemptions_and_revenue_in_constant_queries(
    client, django_assert_max_num_queries, codes
):
    first = None
    for n in range(codes):
        promo = PromotionCodeFactory(code=f"CODE{n}", stripe_promotion_code_id=f"promo_{n}", stripe_active=True)
        first = first or promo
        for status in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.PENDING_PAYMENT):
            OrderFactory(promotion=promo, status=status, total=Decimal("47.20"), discount_total=Decimal("11.80"))
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only"))

    with django_assert_max_num_queries(8):
        response = client.get(CODES)

    body = response.content.decode()
    assert response.status_code == 200 and body.count("94.40 USD (23.60 USD off)") == codes
    assert body.count('<td class="field-redeemed">2</td>') == codes


def test_view_only_staff_cannot_change_codes_or_rates(client):
    promo = PromotionCodeFactory()
    client.force_login(staff("view_promotioncode", "view_shippingrate"))
    assert client.get(f"{CODES}{promo.pk}/change/").status_code == 200
    assert client.post(f"{CODES}{promo.pk}/change/", {"_save": "Save"}).status_code == 403
    assert client.post(f"{CODES}add/", form(code="NEW1", percent_off="5")).status_code == 403
    assert client.post("/admin/shop/shippingrate/add/", {"name": "X"}).status_code == 403
    assert PromotionCode.objects.get().is_active is True


def test_staff_add_a_shipping_rate_with_its_countries_checked(client):
    client.force_login(staff("view_shippingrate", "add_shippingrate"))
    fields = {"name": "Express", "amount": "19.95", "currency": "USD", "is_active": "on", "position": "2"}
    fields |= {"free_above": "", "taxable": "on", "delivery_min_days": "1", "delivery_max_days": "2", "_save": "Save"}
    refused = client.post("/admin/shop/shippingrate/add/", {**fields, "countries": "usa"})
    assert "Two-letter ISO codes" in refused.content.decode()
    assert client.post("/admin/shop/shippingrate/add/", {**fields, "countries": "us ca"}).status_code == 302
    rate = ShippingRate.objects.get()
    assert (rate.countries, rate.delivery_estimate, rate.tax_code) == ("US, CA", "1–2 business days", "txcd_92010001")
