"""factory_boy factories for the shop app."""

from decimal import Decimal

import factory

from shop.models import Cart, CartLine, Order, OrderLine, Product, PromotionCode, ShippingRate

__all__ = [
    "CartFactory",
    "CartLineFactory",
    "OrderFactory",
    "OrderLineFactory",
    "ProductFactory",
    "PromotionCodeFactory",
    "ShippingRateFactory",
]


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    description = "A sturdy thing."
    price = Decimal("49.00")
    currency = "USD"
    stock = 20
    is_active = True
    image_url = "img/foosfoot.svg"
    image_alt = "A wooden foot exerciser"


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class OrderFactory(factory.django.DjangoModelFactory):
    """A pending order without lines; add OrderLineFactory rows (and keep `total` in step)."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"HH-T{n:06d}")
    email = factory.Sequence(lambda n: f"buyer{n}@example.com")
    currency = "USD"
    total = Decimal("49.00")
    subtotal = factory.LazyAttribute(lambda o: o.total)  # no shipping, discount or tax unless a test sets them


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    product_name = factory.LazyAttribute(lambda o: o.product.name)
    sku = factory.LazyAttribute(lambda o: o.product.sku)
    unit_price = factory.LazyAttribute(lambda o: o.product.price)
    quantity = 1


class ShippingRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingRate

    name = "Standard"
    amount = Decimal("6.95")
    currency = "USD"
    countries = "US"
    delivery_min_days = 3
    delivery_max_days = 5
    position = factory.Sequence(lambda n: n)


class PromotionCodeFactory(factory.django.DjangoModelFactory):
    """A code on our side only: sync it (shop.promotions.sync_promotion_code) to make it on the emulator."""

    class Meta:
        model = PromotionCode

    code = factory.Sequence(lambda n: f"SAVE{n}")
    percent_off = Decimal("10")
