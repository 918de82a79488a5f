"""An email address whose domain mail cannot reach as typed is refused where it is typed, in the API's error
shape or next to the form's field (core.email_addresses). Found by the outside probe of 2026-11-30:
`zoe@exa\u2028mple.com` opened an order, then Stripe refused the address and the checkout answered 503
"payment unavailable, try again shortly" (for good); the sign-in link to it failed with an ERROR line; and
`jane@ex\u200bample.com` is mailed to jane@example.com while counting as another address for the per-address
limits and the suppression list (a "stop all" address got signup confirmations through it)."""

import pytest

from billing.models import Plan
from shop.models import Order
from tests.hodhod.world import build_world

pytestmark = pytest.mark.django_db

REFUSED = ["zoe@exa\u2028mple.com", "jane@ex\u200bample.com"]


@pytest.fixture
def world(stripe_api):
    return build_world(email="someone@example.com")


def assert_refused(response) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] in ("validation_error", "invalid_email") and body["message"]


@pytest.mark.parametrize("address", REFUSED)
def test_api_refuses_addresses_mail_would_not_reach_as_typed(api_client, world, address):
    cart = world["cart"]
    assert_refused(api_client.post(f"/api/carts/{cart.token}/checkout/", {"email": address}, format="json"))
    assert not Order.objects.filter(email=address).exists()
    plan = Plan.objects.on_offer().first()
    assert_refused(api_client.post(f"/api/plans/{plan.slug}/checkout/", {"email": address}, format="json"))
    assert_refused(api_client.post("/api/account/sign-in/", {"email": address}, format="json"))
    program = world["program"]
    assert_refused(api_client.post(f"/api/programs/{program.slug}/signup/", {"email": address}, format="json"))


@pytest.mark.parametrize("address", REFUSED)
def test_pages_show_the_refusal_next_to_the_email_field(client, world, address):
    session = client.session
    session["shop_cart_id"] = world["cart"].pk
    session.save()
    pages = [
        ("/checkout/", {"email": address}),
        ("/membership/", {"email": address, "plan": Plan.objects.on_offer().first().slug}),
        ("/account/", {"email": address}),
        (f"/programs/{world['program'].slug}/join/", {"email": address}),
    ]
    for path, data in pages:
        response = client.post(path, data)
        assert response.status_code in (200, 400), (path, response.status_code)
        assert (
            b"Enter a valid email address" in response.content or b"Enter an email address like" in response.content
        ), path
    assert not Order.objects.filter(email=address).exists()


def test_international_addresses_still_check_out(api_client, world):
    response = api_client.post(
        f"/api/carts/{world['cart'].token}/checkout/", {"email": "jane@exämple.com"}, format="json"
    )
    assert response.status_code == 201, response.content
