"""Issue 11, item 3: every product with a FoosFoot in it grants the program, the two-pack too."""

import pytest

from programs import demo
from programs.models import Enrollment, Program
from shop import demo as shop_demo
from shop.models import Product
from tests.factories import ProductFactory
from tests.programs.conftest import announce_paid, make_paid_order

pytestmark = pytest.mark.django_db


def test_the_demo_grants_foundations_with_every_foosfoot_product():
    shop_demo.seed_demo()
    ProductFactory(slug="gift-card", name="Gift card")  # no FoosFoot in it
    demo.seed_demo()
    foundations = Program.objects.get(slug=demo.FOUNDATIONS_SLUG)
    assert sorted(foundations.granted_by.values_list("slug", flat=True)) == ["foosfoot", "foosfoot-two-pack"]
    assert demo.seed_demo() == []  # idempotent


def test_an_earlier_demo_that_granted_only_the_single_foosfoot_is_completed():
    shop_demo.seed_demo()
    demo.seed_demo()
    foundations = Program.objects.get(slug=demo.FOUNDATIONS_SLUG)
    foundations.granted_by.remove(Product.objects.get(slug="foosfoot-two-pack"))  # as the first version seeded it
    assert demo.seed_demo() == ["FoosFoot two-pack grants FoosFoot Foundations"]


def test_buying_the_two_pack_enrolls_the_buyer():
    shop_demo.seed_demo()
    demo.seed_demo()
    order = make_paid_order(Product.objects.get(slug="foosfoot-two-pack"), email="pair@example.com")
    announce_paid(order)
    enrollment = Enrollment.objects.get(order=order)
    assert enrollment.program.slug == demo.FOUNDATIONS_SLUG and enrollment.email == "pair@example.com"
    assert enrollment.deliveries.count() == 28
