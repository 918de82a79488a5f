"""Demo data for `manage.py seed_demo`; running it twice changes nothing.

The catalog: the FoosFoot and a two-pack. Facts from the company's blog post
(what the device trains, five minutes a day, compact, low-impact, for every age);
the wording is ours. Prices are demo values.
"""

from decimal import Decimal

from shop.models import Product

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


def seed_demo() -> list[str]:
    """Create the demo products that are missing; return a line per product created."""
    created = []
    for item in PRODUCTS:
        product, was_created = Product.objects.get_or_create(slug=item["slug"], defaults=item["defaults"])
        if was_created:
            created.append(f"product {product.name} ({product.price} {product.currency}, {product.stock} in stock)")
    return created
