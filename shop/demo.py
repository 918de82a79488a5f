"""Demo data for `manage.py seed_demo`; running it twice changes nothing.

The catalog: the FoosFoot and a two-pack. Facts from the company's blog post
(what the device trains, five minutes a day, compact, low-impact, for every age);
the wording is ours. Prices are demo values.

The shipping rates are the demo shipping page's (content/demo_pages.py, /pages/shipping/), figure for
figure: `make run` ships to the countries they serve (SHOP_SHIPPING_COUNTRIES in the Makefile).
"""

from decimal import Decimal

from shop.models import Product, ShippingRate

EU_COUNTRIES = (
    "AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT, NL, PL, PT, RO, SK, SI, ES, SE"
)
SHIPPING_RATES = [
    # (name, countries, amount, free above, delivery in business days, position)
    ("Standard", "US", "6.95", "100.00", (3, 5), 1),
    ("Express", "US", "19.95", None, (1, 2), 2),
    ("Standard", "CA", "14.95", None, (5, 8), 3),
    ("Express", "CA", "34.95", None, (2, 3), 4),
    ("Standard", EU_COUNTRIES, "24.95", None, (6, 10), 5),
]

FOOSFOOT_DESCRIPTION = """\
The FoosFoot is a small foot trainer for two movements: pointing the foot down \
(plantarflexion) and pulling it back up toward the shin (dorsiflexion). Repeating \
them against the device's resistance works the muscles that hold the arch and steady \
the ankle, gets blood moving in the feet and lower legs, and gives the rest of the \
body a steadier base to stand on.

Five minutes a day is the routine we suggest, at home, at a desk or in front of the \
television. It is low-impact and adjustable, so it suits beginners, athletes and \
older people whose balance is not what it was, and it works alongside physical \
therapy rather than replacing it. Many people notice a difference within two to four \
weeks of daily use.

It packs flat enough to go in a carry-on bag."""

TWO_PACK_DESCRIPTION = """\
Two FoosFoot trainers in one box: one for home and one for the office, or one for \
you and one for the person who keeps borrowing yours. Same device, same five-minute \
routine, a lower price per unit than buying them one at a time."""

PRODUCTS = [
    {
        "slug": "foosfoot",
        "defaults": {
            "name": "FoosFoot",
            "sku": "HH-FF-1",
            "description": FOOSFOOT_DESCRIPTION,
            "price": Decimal("59.00"),
            "currency": "USD",
            "stock": 120,
            "is_active": True,
            "position": 1,
            "image_url": "img/foosfoot.svg",
            "image_alt": "The FoosFoot trainer seen from the side, with a bare foot resting on its footplate.",
            "low_stock_threshold": 10,
        },
    },
    {
        "slug": "foosfoot-two-pack",
        "defaults": {
            "name": "FoosFoot two-pack",
            "sku": "HH-FF-2",
            "description": TWO_PACK_DESCRIPTION,
            "price": Decimal("109.00"),
            "currency": "USD",
            "stock": 40,
            "is_active": True,
            "position": 2,
            "image_url": "img/foosfoot-pair.svg",
            "image_alt": "Two FoosFoot trainers side by side.",
            "low_stock_threshold": 5,
        },
    },
]


def seed_shipping_rates() -> list[str]:
    created = []
    for name, countries, amount, free_above, (low, high), position in SHIPPING_RATES:
        rate, was_created = ShippingRate.objects.get_or_create(
            name=name,
            countries=countries,
            defaults={
                "amount": Decimal(amount),
                "currency": "USD",
                "free_above": Decimal(free_above) if free_above else None,
                "delivery_min_days": low,
                "delivery_max_days": high,
                "position": position,
            },
        )
        if was_created:
            created.append(f"shipping rate {rate.name} to {rate.countries.split(',')[0]}… ({rate.amount} USD)")
    return created


def seed_demo() -> list[str]:
    """Create the demo products and shipping rates that are missing; return a line per row created."""
    created = []
    for item in PRODUCTS:
        product, was_created = Product.objects.get_or_create(slug=item["slug"], defaults=item["defaults"])
        if was_created:
            created.append(f"product {product.name} ({product.price} {product.currency}, {product.stock} in stock)")
    return created + seed_shipping_rates()
