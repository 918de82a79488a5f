"""One of everything, with real identifiers: what the fuzz and hostile-input suites send requests at."""

from django.core.management import call_command


def build_world(*, email: str) -> dict:
    """The demo data, a cart with a line, an order and an enrollment (needs database access)."""
    from content.models import Article
    from programs.models import Enrollment, Program
    from shop.models import Cart, CartLine, Product
    from tests.factories import OrderFactory, OrderLineFactory

    call_command("seed_demo", verbosity=0)
    product = Product.objects.filter(is_active=True).first()
    cart = Cart.objects.create()
    return {
        "product": product,
        "cart": cart,
        "line": CartLine.objects.create(cart=cart, product=product, quantity=1),
        "order": OrderLineFactory(order=OrderFactory(), product=product).order,
        "program": (program := Program.objects.filter(is_public=True).first()),
        "enrollment": Enrollment.objects.create(
            program=program, email=email, origin=Enrollment.Origin.SIGNUP, send_hour=8
        ),
        "article": Article.objects.published().first(),
    }
