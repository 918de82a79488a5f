"""Checkout for the shop: shipping options, coupons and promotion codes, the tax table, recovery
of expired sessions and consent, driven with the real `stripe` library and the hosted page over HTTP."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from stripe_emulator import StripeError

from .support import fetch, read_page, shape_problems, submit

US_PAYER = {"country": "US", "state": "CA", "city": "Los Angeles", "postal_code": "90001", "line1": "1 Main St"}


def shop_session(client, **overrides):
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 18900, "product_data": {"name": "FoosFoot"}},
                "quantity": 2,
            },
            {
                "price_data": {"currency": "usd", "unit_amount": 34900, "product_data": {"name": "Two-pack"}},
                "quantity": 1,
            },
        ],
        "success_url": "http://shop.test/checkout/success/?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart/",
        "customer_email": "buyer@example.com",
        "shipping_address_collection": {"allowed_countries": ["US", "CA", "DE"]},
    }
    params.update(overrides)
    return client.v1.checkout.sessions.create(params=params)


def rate(name, amount, **extra):
    return {
        "shipping_rate_data": {
            "display_name": name,
            "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": "usd"},
            **extra,
        }
    }


STANDARD = rate(
    "Standard",
    500,
    delivery_estimate={
        "minimum": {"unit": "business_day", "value": 3},
        "maximum": {"unit": "business_day", "value": 5},
    },
    tax_behavior="exclusive",
)
EXPRESS = rate("Express", 1500, tax_code="txcd_92010001")
PICKUP = rate("Pickup", 0, tax_code="txcd_00000000")


def promo_code(client, code="SAVE10", **coupon):
    coupon = client.v1.coupons.create(params=coupon or {"percent_off": 10, "duration": "once"})
    return client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code})


# ------------------------------------------------------------------- shipping


def test_shipping_options_make_retrievable_rates_and_the_first_is_charged_until_another_is_chosen(client, stripe_api):
    session = shop_session(client, shipping_options=[STANDARD, EXPRESS])

    assert [o.shipping_amount for o in session.shipping_options] == [500, 1500]
    first = client.v1.shipping_rates.retrieve(session.shipping_options[0].shipping_rate)
    assert (first.id[:4], first.display_name, first.fixed_amount.amount, first.tax_behavior) == (
        "shr_",
        "Standard",
        500,
        "exclusive",
    )
    assert first.delivery_estimate.minimum.to_dict() == {"unit": "business_day", "value": 3}
    assert shape_problems(first.to_dict(), stripe.ShippingRate) == []
    assert session.shipping_cost.to_dict() == {
        "amount_subtotal": 500, "amount_tax": 0, "amount_total": 500, "shipping_rate": first.id
    }  # fmt: skip
    assert session.amount_subtotal == 72700
    assert session.amount_total == 72700 + 500
    assert session.total_details.amount_shipping == 500

    express = session.shipping_options[1].shipping_rate
    paid = stripe_api.complete_session(session.id, shipping_rate=express)

    assert paid["shipping_cost"]["shipping_rate"] == express
    assert paid["amount_total"] == 72700 + 1500
    assert client.v1.payment_intents.retrieve(paid["payment_intent"]).amount == 74200


@pytest.mark.parametrize(
    ("options", "param"),
    [
        ([STANDARD] * 6, "shipping_options"),
        ([rate("X", 100) | {"shipping_rate_data": {"display_name": "X", "fixed_amount": {"amount": 1, "currency": "eur"}}}], "shipping_options[0][fixed_amount][currency]"),
        ([{"shipping_rate_data": {"type": "fixed_amount", "fixed_amount": {"amount": 1, "currency": "usd"}}}], "shipping_options[0][display_name]"),
        ([rate("X", 1, delivery_estimate={"minimum": {"unit": "fortnight", "value": 1}})], "shipping_options[0][delivery_estimate][minimum][unit]"),
        ([{"shipping_rate": "shr_missing"}], "shipping_options[0][shipping_rate]"),
    ],
)  # fmt: skip
def test_bad_shipping_options_are_refused(client, stripe_api, options, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        shop_session(client, shipping_options=options)
    assert raised.value.param == param
    assert stripe_api.sessions == {}


def test_the_payer_picks_a_shipping_option_and_a_state_on_the_page(client, stripe_api, receiver):
    session = shop_session(client, shipping_options=[STANDARD, EXPRESS])
    _, _, html = fetch(session.url)
    page = read_page(html)
    assert page.fields["shipping_rate"]["type"] == "radio"
    assert "Standard: 5.00 USD, 3–5 business days" in html
    assert {"state", "country"} <= set(page.fields)

    express = session.shipping_options[1].shipping_rate
    status, headers, _ = submit(
        session.url, html, "pay", shipping_rate=express, country="CA", state="ON", city="Toronto"
    )

    assert status == 303
    [event] = receiver.wait_for(1)
    completed = event.data.object
    assert completed.shipping_cost.shipping_rate == express
    address = completed.collected_information.shipping_details.address
    assert (address.country, address.state, address.city) == ("CA", "ON", "Toronto")


# ------------------------------------------------------ coupons and promotion codes


def test_coupons_are_created_read_renamed_and_deleted_but_never_deactivated(client, stripe_api):
    percent = client.v1.coupons.create(
        params={"percent_off": 25, "duration": "repeating", "duration_in_months": 3, "name": "Quarter off"}
    )
    amount = client.v1.coupons.create(
        params={"id": "FIVE", "amount_off": 500, "currency": "usd", "duration": "forever", "max_redemptions": 10, "redeem_by": int(time.time()) + 3600}
    )  # fmt: skip

    assert (percent.percent_off, percent.duration_in_months, percent.valid, percent.times_redeemed) == (25, 3, True, 0)
    assert (amount.id, amount.amount_off, amount.currency, amount.max_redemptions) == ("FIVE", 500, "usd", 10)
    assert shape_problems(amount.to_dict(), stripe.Coupon) == []
    assert client.v1.coupons.update("FIVE", params={"name": "Five off"}).name == "Five off"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.update("FIVE", params={"percent_off": 50})
    deleted = client.v1.coupons.delete("FIVE")
    assert (deleted.id, deleted.deleted) == ("FIVE", True)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.coupons.retrieve("FIVE")
    assert missing.value.http_status == 404
    assert [c.id for c in client.v1.coupons.list().data] == [percent.id]
    assert [e["type"] for e in stripe_api.events] == [
        "coupon.created",
        "coupon.created",
        "coupon.updated",
        "coupon.deleted",
    ]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"percent_off": 10, "amount_off": 100, "currency": "usd"}, "percent_off"),
        ({"amount_off": 100}, "currency"),
        ({"percent_off": 120}, "percent_off"),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months"),
        ({"percent_off": 10, "redeem_by": 1}, "redeem_by"),
    ],
)
def test_bad_coupons_are_refused(client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.coupons.create(params=params)
    assert raised.value.param == param


def test_a_promotion_code_names_its_coupon_under_promotion_at_the_pinned_version(client, stripe_api):
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    promo = client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": "Spring26",
            "max_redemptions": 3,
            "expires_at": int(time.time()) + 3600,
            "restrictions": {"first_time_transaction": True},
        }
    )

    assert promo.promotion.to_dict() == {"coupon": coupon.id, "type": "coupon"}
    assert (promo.code, promo.active, promo.max_redemptions, promo.times_redeemed) == ("Spring26", True, 3, 0)
    assert promo.restrictions.first_time_transaction is True
    assert shape_problems(promo.to_dict(), stripe.PromotionCode) == []
    assert "coupon" not in promo  # the pre-2025 top-level field is gone
    assert [p.id for p in client.v1.promotion_codes.list(params={"code": "spring26"}).data] == [promo.id]
    with pytest.raises(stripe.InvalidRequestError) as legacy:
        client.v1.promotion_codes.create(params={"coupon": coupon.id})
    assert legacy.value.param == "coupon"
    with pytest.raises(stripe.InvalidRequestError) as taken:
        client.v1.promotion_codes.create(
            params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING26"}
        )
    assert taken.value.code == "resource_already_exists"

    off = client.v1.promotion_codes.update(promo.id, params={"active": False})
    assert off.active is False
    assert client.v1.promotion_codes.list(params={"active": True}).data == []
    again = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING26"}
    )
    assert again.active is True


def test_a_code_typed_on_the_page_is_checked_applied_and_redeemed(client, stripe_api, receiver):
    promo = promo_code(client)
    session = shop_session(client, allow_promotion_codes=True, shipping_options=[STANDARD])
    _, _, html = fetch(session.url)
    assert "promotion_code" in read_page(html).fields

    status, _, body = submit(session.url, html, "apply_code", promotion_code="NOPE")
    assert status == 400
    assert "This code is invalid." in body and 'role="alert"' in body
    assert client.v1.checkout.sessions.retrieve(session.id).discounts == []

    status, _, body = submit(session.url, html, "apply_code", promotion_code="save10")
    assert status == 200
    assert 'id="discount">-72.70 USD' in body
    applied = client.v1.checkout.sessions.retrieve(session.id)
    assert applied.total_details.amount_discount == 7270
    assert applied.amount_total == 72700 - 7270 + 500

    status, _, _ = submit(session.url, body, "pay")
    assert status == 303
    [event] = receiver.wait_for_type("checkout.session.completed")
    paid = event.data.object
    assert [d.to_dict() for d in paid.discounts] == [{"coupon": promo.promotion.coupon, "promotion_code": promo.id}]
    assert paid.total_details.to_dict() == {"amount_discount": 7270, "amount_shipping": 500, "amount_tax": 0}
    assert paid.amount_total == paid.amount_subtotal - 7270 + 500
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    assert client.v1.coupons.retrieve(promo.promotion.coupon).times_redeemed == 1
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["total_details.breakdown"]})
    [discount] = expanded.total_details.breakdown.discounts
    assert discount.amount == 7270
    assert shape_problems(discount.discount.to_dict(), stripe.Discount) == []
    assert discount.discount.source.coupon == promo.promotion.coupon
    lines = client.v1.checkout.sessions.line_items.list(session.id)
    assert sum(line.amount_discount for line in lines.data) == 7270


def test_a_discount_given_at_creation_is_applied_up_front(client, stripe_api):
    promo = promo_code(client, amount_off=1000, currency="usd")
    session = shop_session(client, discounts=[{"promotion_code": promo.id}])

    assert session.amount_total == 72700 - 1000
    assert session.discounts[0].promotion_code == promo.id
    with pytest.raises(stripe.InvalidRequestError) as both:
        shop_session(client, discounts=[{"promotion_code": promo.id}], allow_promotion_codes=True)
    assert both.value.param == "discounts"

    paid = stripe_api.complete_session(session.id)
    assert (paid["amount_total"], paid["total_details"]["amount_discount"]) == (71700, 1000)


def test_a_full_discount_needs_no_payment_and_makes_no_payment_intent(client, stripe_api, receiver):
    promo = promo_code(client, "FREE", percent_off=100)
    session = shop_session(client, allow_promotion_codes=True)

    paid = stripe_api.complete_session(session.id, promotion_code="FREE")

    assert (paid["amount_total"], paid["payment_status"], paid["payment_intent"]) == (0, "no_payment_required", None)
    assert stripe_api.payment_intents == {}
    [event] = receiver.wait_for_type("checkout.session.completed")
    assert (event.type, event.data.object.payment_status) == ("checkout.session.completed", "no_payment_required")
    _, _, body = fetch(session.url)
    assert "nothing was due" in body
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1


def test_a_code_that_expires_before_payment_is_refused_by_the_page(client, stripe_api):
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    promo = client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": "SOON",
            "expires_at": stripe_api.now() + 60,
        }
    )
    session = shop_session(client, discounts=[{"promotion_code": promo.id}])
    stripe_api.advance_clock(120)

    _, _, html = fetch(session.url)
    status, _, body = submit(session.url, html, "pay")

    assert status == 400
    assert "This code has expired." in body
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 0


def test_forty_concurrent_payers_redeem_a_five_use_code_exactly_five_times(client, stripe_api):
    coupon = client.v1.coupons.create(params={"percent_off": 20})
    promo = client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "FIVEONLY", "max_redemptions": 5}
    )
    sessions = [shop_session(client, allow_promotion_codes=True) for _ in range(40)]
    pages = {s.url: fetch(s.url)[2] for s in sessions}

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda url: submit(url, pages[url], "pay", promotion_code="FIVEONLY")[0], pages))

    assert sorted(statuses) == [303] * 5 + [400] * 35
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 5
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 5
    completed = [s for s in stripe_api.sessions.values() if s["status"] == "complete"]
    assert len(completed) == 5 and all(s["total_details"]["amount_discount"] == 14540 for s in completed)


def test_first_time_and_minimum_amount_restrictions(client, stripe_api):
    coupon = client.v1.coupons.create(params={"percent_off": 15})
    client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME", "restrictions": {"first_time_transaction": True}}
    )  # fmt: skip
    client.v1.promotion_codes.create(
        params={
            "promotion": {"type": "coupon", "coupon": coupon.id},
            "code": "BIGCART",
            "restrictions": {"minimum_amount": 100000, "minimum_amount_currency": "usd"},
        }
    )
    stripe_api.complete_session(shop_session(client).id, email="returning@example.com")

    again = shop_session(client, allow_promotion_codes=True, customer_email="returning@example.com")
    with pytest.raises(StripeError) as returning:
        stripe_api.complete_session(again.id, promotion_code="WELCOME")
    assert "first-time" in returning.value.message
    fresh = shop_session(client, allow_promotion_codes=True, customer_email="new@example.com")
    assert stripe_api.complete_session(fresh.id, promotion_code="WELCOME")["total_details"]["amount_discount"] > 0
    small = shop_session(client, allow_promotion_codes=True)
    with pytest.raises(StripeError) as too_small:
        stripe_api.complete_session(small.id, promotion_code="BIGCART")
    assert "at least 1000.00 USD" in too_small.value.message


# ------------------------------------------------------------------------ tax


@pytest.mark.parametrize(
    ("country", "state", "rate_percent", "line_tax", "shipping_tax"),
    [
        ("US", "CA", 7.25, 5271, 36),  # 72700 × 7.25 % = 5270.75 -> 5271; 500 × 7.25 % = 36.25 -> 36
        ("US", "NY", 4, 2908, 20),
        ("US", "TX", 6.25, 4544, 31),  # 4543.75 -> 4544; 31.25 -> 31
        ("US", "OR", 0, 0, 0),
        ("US", "OH", 5, 3635, 25),
        ("CA", "ON", 13, 9451, 65),
        ("CA", "QC", 14.975, 10887, 75),  # 10886.825 -> 10887; 74.875 -> 75
        ("CA", "AB", 5, 3635, 25),
        ("DE", None, 19, 13813, 95),
    ],
)
def test_the_tax_table_charges_each_line_and_shipping_rounded_half_up(
    client, stripe_api, country, state, rate_percent, line_tax, shipping_tax
):
    session = shop_session(client, automatic_tax={"enabled": True}, shipping_options=[STANDARD])
    assert session.automatic_tax.to_dict() == {
        "enabled": True, "liability": {"account": None, "type": "self"}, "provider": "stripe", "status": "requires_location_inputs"
    }  # fmt: skip

    paid = stripe_api.complete_session(session.id, address={"country": country, "state": state or ""})

    assert paid["total_details"]["amount_tax"] == line_tax + shipping_tax
    assert paid["shipping_cost"]["amount_tax"] == shipping_tax
    assert paid["amount_total"] == 72700 + 500 + line_tax + shipping_tax
    assert paid["automatic_tax"]["status"] == "complete"
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["total_details.breakdown"]})
    [tax] = expanded.total_details.breakdown.taxes
    assert tax.rate.percentage == rate_percent
    assert tax.rate.country == country
    assert shape_problems(tax.rate.to_dict(), stripe.TaxRate) == []


def test_tax_is_per_line_after_the_discount_and_skips_non_taxable_shipping(client, stripe_api):
    promo_code(client, "TEN", percent_off=10)
    session = shop_session(
        client, automatic_tax={"enabled": True}, shipping_options=[PICKUP, STANDARD], allow_promotion_codes=True
    )

    paid = stripe_api.complete_session(session.id, promotion_code="TEN", address=US_PAYER)

    lines = client.v1.checkout.sessions.line_items.list(session.id).data
    # 37800 - 3780 = 34020 -> 2466.45 -> 2466; 34900 - 3490 = 31410 -> 2277.225 -> 2277
    assert [(line.amount_discount, line.amount_tax) for line in lines] == [(3780, 2466), (3490, 2277)]
    assert paid["shipping_cost"]["amount_tax"] == 0  # txcd_00000000
    assert paid["total_details"] == {"amount_discount": 7270, "amount_shipping": 0, "amount_tax": 4743}
    assert paid["amount_total"] == 72700 - 7270 + 4743


def test_tax_is_not_collected_outside_the_table_and_needs_a_state_in_the_us(client, stripe_api):
    abroad = shop_session(
        client, automatic_tax={"enabled": True}, shipping_address_collection={"allowed_countries": ["IL", "US"]}
    )
    paid = stripe_api.complete_session(abroad.id, address={"country": "IL", "state": ""})
    assert paid["total_details"]["amount_tax"] == 0

    home = shop_session(client, automatic_tax={"enabled": True})
    _, _, html = fetch(home.url)
    status, _, body = submit(home.url, html, "pay", country="US", state="")
    assert status == 400
    assert "state or province" in body


# ------------------------------------------------------ recovery and consent


def test_an_expired_session_gets_a_recovery_url_that_opens_a_copy(client, stripe_api, receiver):
    session = shop_session(
        client,
        shipping_options=[STANDARD, EXPRESS],
        after_expiration={"recovery": {"enabled": True, "allow_promotion_codes": True}},
        metadata={"order_number": "HH-7"},
    )
    assert session.after_expiration.recovery.to_dict() == {
        "allow_promotion_codes": True,
        "enabled": True,
        "expires_at": None,
        "url": None,
    }

    client.v1.checkout.sessions.expire(session.id)
    [event] = receiver.wait_for(1)
    recovery = event.data.object.after_expiration.recovery
    assert recovery.url == f"{stripe_api.base_url}/recover/{session.id}"
    assert (
        recovery.expires_at == event.data.object.expires_at - session.expires_at + recovery.expires_at
    )  # set, in the future
    assert recovery.expires_at > stripe_api.now() + 29 * 86400

    status, headers, _ = fetch(recovery.url)
    assert status == 303
    new_id = headers["Location"].rsplit("/", 1)[1]
    new = client.v1.checkout.sessions.retrieve(new_id)
    assert (new.status, new.recovered_from, new.allow_promotion_codes) == ("open", session.id, True)
    assert new.customer_email == "buyer@example.com" and new.metadata.to_dict() == {"order_number": "HH-7"}
    assert [o.shipping_rate for o in new.shipping_options] == [o.shipping_rate for o in session.shipping_options]
    old_lines = [
        (li.description, li.quantity, li.amount_subtotal)
        for li in client.v1.checkout.sessions.line_items.list(session.id).data
    ]
    new_lines = [
        (li.description, li.quantity, li.amount_subtotal)
        for li in client.v1.checkout.sessions.line_items.list(new_id).data
    ]
    assert new_lines == old_lines
    assert fetch(recovery.url)[1]["Location"] == headers["Location"]  # the same copy while it is open

    stripe_api.advance_clock(31 * 86400)
    status, _, body = fetch(recovery.url)
    assert status == 410 and "expired" in body


def test_a_session_without_recovery_has_no_recovery_url(client, stripe_api):
    session = shop_session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.after_expiration is None
    assert fetch(f"{stripe_api.base_url}/recover/{session.id}")[0] == 404


def test_promotions_consent_is_recorded_by_cancel_and_set_when_the_session_expires(client, stripe_api, receiver):
    session = shop_session(client, consent_collection={"promotions": "auto"})
    _, _, html = fetch(session.url)
    assert read_page(html).fields["consent_promotions"]["type"] == "checkbox"

    status, headers, _ = submit(session.url, html, "cancel", consent_promotions="1")
    assert (status, headers["Location"]) == (303, "http://shop.test/cart/")
    assert client.v1.checkout.sessions.retrieve(session.id).consent is None  # set once it completes or expires

    client.v1.checkout.sessions.expire(session.id)
    [event] = receiver.wait_for(1)
    assert event.data.object.consent.promotions == "opt_in"
    assert event.data.object.consent_collection.promotions == "auto"

    unticked = shop_session(client, consent_collection={"promotions": "auto"})
    _, _, html = fetch(unticked.url)
    submit(unticked.url, html, "pay")
    assert client.v1.checkout.sessions.retrieve(unticked.id).consent.promotions == "opt_out"


def test_required_terms_of_service_must_be_accepted_to_pay(client, stripe_api):
    session = shop_session(client, consent_collection={"terms_of_service": "required"})
    _, _, html = fetch(session.url)

    status, _, body = submit(session.url, html, "pay")
    assert status == 400 and "terms of service" in body
    status, _, _ = submit(session.url, html, "pay", accept_terms="1")
    assert status == 303
    assert client.v1.checkout.sessions.retrieve(session.id).consent.terms_of_service == "accepted"


# ---------------------------------------------------------------- shapes


def test_sessions_have_the_pinned_versions_shape_open_and_complete(client, stripe_api):
    session = shop_session(
        client, shipping_options=[STANDARD], automatic_tax={"enabled": True}, allow_promotion_codes=True
    )
    assert session.ui_mode == "hosted_page"
    assert shape_problems(session.to_dict(), stripe.checkout.Session) == []
    paid = client.v1.checkout.sessions.retrieve(stripe_api.complete_session(session.id, address=US_PAYER)["id"])
    assert shape_problems(paid.to_dict(), stripe.checkout.Session) == []
    [line] = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 1}).data
    assert shape_problems(line.to_dict(), stripe.LineItem) == []
    with pytest.raises(stripe.InvalidRequestError) as old_mode:
        shop_session(client, ui_mode="hosted")  # renamed hosted_page in 2026-03-25.dahlia
    assert old_mode.value.param == "ui_mode"
