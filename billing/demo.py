"""Demo data for `manage.py seed_demo`: the FoosFoot Coach membership, monthly and yearly. Running it twice
changes nothing. No Stripe call here (the emulator may not run yet): a plan gets its Stripe Product and Price
at its first checkout, or with `manage.py sync_plans`."""

from decimal import Decimal

from billing.models import Plan

COACH_DESCRIPTION = """\
A coach in your inbox for the FoosFoot: new exercise programs every month, each built around five \
minutes a day. Advanced progressions once the basics feel easy, balance work, routines for runners and \
for people who sit at a desk all day, and gentle programs for seniors. Cancel whenever you like."""

PLANS = [
    {
        "slug": "foosfoot-coach-monthly",
        "defaults": {
            "name": "FoosFoot Coach, monthly",
            "description": COACH_DESCRIPTION,
            "price": Decimal("9.00"),
            "currency": "USD",
            "interval": Plan.Interval.MONTH,
            "position": 1,
        },
    },
    {
        "slug": "foosfoot-coach-yearly",
        "defaults": {
            "name": "FoosFoot Coach, yearly",
            "description": COACH_DESCRIPTION + "\n\nTwelve months for the price of ten.",
            "price": Decimal("90.00"),
            "currency": "USD",
            "interval": Plan.Interval.YEAR,
            "position": 2,
        },
    },
]


def seed_demo() -> list[str]:
    created = []
    for plan in PLANS:
        _, made = Plan.objects.get_or_create(slug=plan["slug"], defaults=plan["defaults"])
        if made:
            created.append(f"membership plan {plan['slug']}")
    return created
