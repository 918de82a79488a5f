"""Demo data for `manage.py seed_demo`; running it twice changes nothing.

"FoosFoot Foundations" (four weeks, a lesson a day, granted by every product with a
FoosFoot in it: the FoosFoot and the two-pack), a free seven-day starter anyone can join,
and two programs for FoosFoot Coach members, granted by both of its plans: "Balance and
stability" (four weeks) and "Runner's feet" (three weeks), two lessons a week.
"""

from django.db.models import Q

from billing.demo import PLANS as COACH_PLANS
from billing.models import Plan
from programs.models import Program, Step
from shop.models import Product

FOUNDATIONS_SLUG = "foosfoot-foundations"
STARTER_SLUG = "seven-day-foot-starter"
# Every product whose name or slug says FoosFoot holds one, so buying it grants the program (issue 11, item 3).
FOOSFOOT_MARK = "foosfoot"

_SAFETY = "Stop if anything hurts sharply; mild muscle effort is the goal, pain is not."

# (subject, why today, the five minutes) — four weeks that build on each other.
FOUNDATIONS = [
    # Week 1: learn the two motions
    ("Day 1: meet the two motions", "Pointing the foot down (plantarflexion) and pulling it up (dorsiflexion) are the whole game this month. Today you only learn how each one feels.",
     ["Sit tall, both feet on the FoosFoot.", "10 slow points of the toes away from you, 3 seconds down, 3 seconds back.", "10 slow pulls of the toes toward your shin.", "Finish with 30 seconds of ankle circles each way."]),
    ("Day 2: slow is strong", "Speed hides weak spots. Moving slowly makes the small muscles of the foot do the work instead of momentum.",
     ["2 rounds of 8 points and 8 pulls, counting 4 seconds each way.", "Rest 20 seconds between rounds.", "Wiggle and spread your toes for 30 seconds."]),
    ("Day 3: wake up the toes", "Toes that grip and spread are the first sign of a foot that is working again.",
     ["Toe spread: lift, spread wide, set down, 10 times.", "Big toe alone up, small toes down, then swap: 8 each.", "2 rounds of 10 points and 10 pulls on the FoosFoot."]),
    ("Day 4: calves and shins together", "The front and back of the lower leg share every step. Train both and the ankle steadies.",
     ["10 points with a 2-second hold at the bottom.", "10 pulls with a 2-second hold at the top.", "Calf stretch against a wall, 30 seconds each leg."]),
    ("Day 5: barefoot at home", "Shoes do a lot of the work for your feet. Give some of it back: spend an hour barefoot indoors on a safe floor today.",
     ["Walk barefoot around your home for a few minutes, heel to toe, unhurried.", "2 rounds of 10 points and 10 pulls.", "Roll each arch over a ball for 45 seconds."]),
    ("Day 6: one foot at a time", "Most of us have a stronger side. Working one foot at a time shows you which.",
     ["Right foot only: 12 points, 12 pulls.", "Left foot only: 12 points, 12 pulls.", "Note which side tired first; it gets the first set from now on."]),
    ("Day 7: look back at week one", "A week of five-minute sessions is already a habit forming. Today is lighter on purpose.",
     ["1 easy round of 10 points and 10 pulls.", "Ankle circles, 30 seconds each way.", "Two minutes of barefoot walking indoors."]),
    # Week 2: range and control
    ("Day 8: a little further", "This week asks for a bit more range: the end of each motion is where strength is usually missing.",
     ["3 rounds of 10 points, reaching a little further each round.", "3 rounds of 10 pulls, same idea.", "Calf stretch, 30 seconds each leg."]),
    ("Day 9: pause at the end", "Holding the end position builds control where the ankle is least stable.",
     ["10 points with a 3-second hold.", "10 pulls with a 3-second hold.", "Repeat once more if it felt easy."]),
    ("Day 10: arch mobility", "A stiff arch cannot absorb shock. Today loosens it before you strengthen it.",
     ["Roll each arch on a ball, 1 minute per foot.", "Seated arch lift: shorten the foot without curling the toes, 10 times.", "2 rounds of 10 points and 10 pulls."]),
    ("Day 11: tempo ladder", "Changing speed keeps both motions honest.",
     ["5 points at 2 seconds, 5 at 4 seconds, 5 at 6 seconds.", "Same ladder for pulls.", "Finish with toe spreads, 10 times."]),
    ("Day 12: stand and balance", "Balance is the foot's strength put to use.",
     ["Stand on one foot near a wall for 30 seconds, then switch. Twice.", "2 rounds of 10 points and 10 pulls.", "Walk barefoot indoors for two minutes."]),
    ("Day 13: the weaker side first", "Remember the side that tired first? It leads today.",
     ["Weaker foot: 15 points, 15 pulls.", "Stronger foot: 12 points, 12 pulls.", "Ankle circles, 30 seconds each way."]),
    ("Day 14: halfway check", "Two weeks in. Compare today with day one: range, steadiness, how your feet feel in the evening.",
     ["1 round of 12 points and 12 pulls, slowly.", "One-foot balance, 30 seconds each side.", "Write one line about what changed."]),
    # Week 3: load and endurance
    ("Day 15: more repetitions", "Week three adds volume. Keep the quality you built; stop a set early rather than rush it.",
     ["3 rounds of 15 points and 15 pulls.", "Rest 20 seconds between rounds.", "Calf stretch, 30 seconds each leg."]),
    ("Day 16: slow lowering", "Lowering slowly (the eccentric half) is where tendons like the Achilles get stronger.",
     ["10 points: quick down, 5 seconds back.", "10 pulls: quick up, 5 seconds back.", "Repeat once."]),
    ("Day 17: mobility day", "Strength needs room to move. Today is mostly about range.",
     ["Ankle circles, 1 minute each way.", "Roll each arch on a ball, 1 minute per foot.", "1 relaxed round of 10 points and 10 pulls."]),
    ("Day 18: toes under load", "Strong toes push you forward when you walk.",
     ["Toe spreads, 12 times.", "Big-toe presses into the floor, 10 holds of 3 seconds.", "2 rounds of 15 points and 15 pulls."]),
    ("Day 19: longer holds", "Endurance for the small stabilisers: they work all day, not for a second.",
     ["8 points with a 5-second hold.", "8 pulls with a 5-second hold.", "One-foot balance, 45 seconds each side."]),
    ("Day 20: barefoot on different floors", "Different surfaces ask different things of the foot. Stay indoors and safe.",
     ["Walk barefoot on a rug, then on a hard floor, a minute each.", "2 rounds of 12 points and 12 pulls.", "Arch roll, 45 seconds per foot."]),
    ("Day 21: week three in review", "Three weeks of daily work is more than most people ever give their feet.",
     ["1 round of 15 points and 15 pulls.", "Ankle circles, 30 seconds each way.", "Two minutes of barefoot walking indoors."]),
    # Week 4: make it yours
    ("Day 22: put it together", "The last week combines everything into one flowing routine you can keep.",
     ["Toe spreads ×10, arch lifts ×10.", "2 rounds of 12 points and 12 pulls with a 2-second hold.", "One-foot balance, 30 seconds each side."]),
    ("Day 23: the desk version", "Five minutes fit between two meetings. The FoosFoot is small enough to live under your desk.",
     ["Seated at your desk: 3 rounds of 10 points and 10 pulls.", "Ankle circles under the desk, 30 seconds each way.", "Stand up and balance on one foot, 30 seconds each side."]),
    ("Day 24: slow and deep", "Quality over quantity one more time: fewer, slower, fuller.",
     ["8 points, 6 seconds each way.", "8 pulls, 6 seconds each way.", "Calf stretch, 45 seconds each leg."]),
    ("Day 25: balance with motion", "Now the foot moves while it balances.",
     ["Stand on one foot and slowly rise onto the toes, 8 times per side (hold a wall).", "2 rounds of 12 points and 12 pulls.", "Arch roll, 45 seconds per foot."]),
    ("Day 26: your weak spot", "You know by now which motion or side lags. Today is for it.",
     ["Two extra rounds of whichever motion is harder for you.", "1 round of the other.", "Two minutes of barefoot walking indoors."]),
    ("Day 27: the routine to keep", "Here is a five-minute routine for after the program: toes, two motions, balance.",
     ["Toe spreads ×10.", "2 rounds of 12 points and 12 pulls.", "One-foot balance, 30 seconds each side."]),
    ("Day 28: well done", "Four weeks, twenty-eight sessions. Keep the routine from yesterday a few times a week and your feet keep what they gained.",
     ["Your favourite round from this month.", "Compare your balance with day 12.", "Tell us how it went: reply to this email."]),
]  # fmt: skip

STARTER = [
    ("Start here: feet that move", "Feet are built from many small bones, joints and muscles, and most of them hardly work inside stiff shoes. This week gives them a little to do each day.",
     ["Sit and spread your toes wide, 10 times.", "Point and flex each foot slowly, 10 times.", "Ankle circles, 30 seconds each way."]),
    ("Day 2: toe control", "Separating the big toe from the others is harder than it sounds, and a good test of foot strength.",
     ["Big toe up, others down, then swap: 8 each.", "Toe spreads, 10 times."]),
    ("Day 3: barefoot minutes", "Spend some time barefoot indoors today on a safe, clear floor.",
     ["Walk slowly heel to toe for two minutes.", "Stand on one foot near a wall, 20 seconds each side."]),
    ("Day 4: release the arch", "A little mobility work helps the arch do its job of absorbing each step.",
     ["Roll each arch over a ball, 45 seconds per foot.", "Calf stretch against a wall, 30 seconds each leg."]),
    ("Day 5: slow points and pulls", "Pointing the foot down and pulling it up, slowly, trains the front and back of the lower leg.",
     ["10 slow points, 3 seconds each way.", "10 slow pulls, 3 seconds each way."]),
    ("Day 6: balance", "Balance is strength in use. Hold a wall if you need it.",
     ["One-foot stand, 30 seconds each side, twice.", "Toe spreads, 10 times."]),
    ("Day 7: keep going", "A week of small efforts adds up. The FoosFoot makes the two key motions easy to do every day, and its four-week program takes you further.",
     ["Repeat your favourite exercise from this week.", "Two minutes barefoot indoors."]),
]  # fmt: skip


# Premium programs, granted by both FoosFoot Coach plans (issue 13): two short lessons a week.
BALANCE_SLUG = "balance-and-stability"
RUNNERS_SLUG = "runners-feet"

BALANCE = [
    ("Balance 1: the foot is your base", "Each foot holds 26 bones, 33 joints and more than a hundred muscles, tendons and ligaments, and together they keep you upright. Balance starts with how well they react.",
     ["Stand near a wall, feet hip-width apart, and shift your weight slowly heel to toe for one minute.", "2 rounds of 10 slow points and 10 pulls on the FoosFoot.", "One-foot stand, 20 seconds each side, a hand on the wall."]),
    ("Balance 2: quiet feet", "Good balance looks still from outside while the small muscles under the arch work constantly. Today you feel them doing it.",
     ["One-foot stand, 30 seconds each side: notice the toes gripping and letting go.", "Toe spreads, 10 times.", "2 rounds of 10 points and 10 pulls with a 2-second hold."]),
    ("Balance 3: eyes lead, feet follow", "The feet answer what the eyes and the inner ear report. Turning the head asks them to correct more.",
     ["One-foot stand, turning your head slowly left and right, 20 seconds each side.", "Heel-to-toe walk along a line for two minutes.", "Calf stretch against a wall, 30 seconds each leg."]),
    ("Balance 4: the deep stabilisers", "Pointing and pulling the foot against the FoosFoot trains the deep stabilisers that steady the ankle on uneven ground.",
     ["3 rounds of 12 points and 12 pulls, slow on the way back.", "One-foot stand on the weaker side first, 30 seconds each side."]),
    ("Balance 5: rise and hold", "Rising onto the toes on one leg asks the calf and the foot to share the load.",
     ["Hold a wall and rise onto the toes of one foot, 8 times per side, 2 seconds at the top.", "2 rounds of 10 points and 10 pulls.", "Arch roll over a ball, 45 seconds per foot."]),
    ("Balance 6: softer ground", "A rug or a folded towel moves under you, so the feet correct more. Stay indoors, near support.",
     ["One-foot stand on a folded towel, 20 seconds each side, twice.", "Barefoot walk on a rug, then a hard floor, a minute each.", "Ankle circles, 30 seconds each way."]),
    ("Balance 7: reach", "Reaching while standing on one foot moves your centre of mass, and the foot has to follow it.",
     ["On one foot, reach the other foot forward, to the side and back, 5 times each, both sides.", "2 rounds of 12 points and 12 pulls."]),
    ("Balance 8: four weeks steadier", "People who train their feet daily often notice steadier balance within two to four weeks. Keep a few minutes of this in your week.",
     ["Your favourite balance drill from this month, twice.", "1 round of 12 points and 12 pulls.", "Compare your one-foot stand with the first lesson."]),
]  # fmt: skip

RUNNERS = [
    ("Runner's feet 1: strong before long", "Running lands several times your weight on each foot, thousands of times an hour. Feet that absorb it spare your knees, hips and back.",
     ["3 rounds of 12 points and 12 pulls on the FoosFoot.", "Toe spreads, 10 times.", "Calf stretch against a wall, 30 seconds each leg."]),
    ("Runner's feet 2: the Achilles likes it slow", "Achilles trouble is often made worse by stiff ankles and weak calves. Slow lowering builds the tendon's tolerance.",
     ["10 points: quick down, 5 seconds back up. Twice.", "Single-leg heel raise on a step, lowering slowly, 8 per side (skip it if the tendon is sore).", "Ankle circles, 30 seconds each way."]),
    ("Runner's feet 3: look after the arch", "Heel pain under the arch is tied to weak foot muscles and poor shock absorption, not only to tight tissue.",
     ["Arch roll over a ball, 1 minute per foot.", "Seated arch lift without curling the toes, 12 times.", "2 rounds of 12 points and 12 pulls."]),
    ("Runner's feet 4: when feet roll in", "Feet that roll in too far turn the legs inward and tilt the pelvis. A stronger arch and big toe resist the roll.",
     ["Big-toe press into the floor, 10 holds of 3 seconds.", "One-foot stand, 30 seconds each side, arch lifted.", "2 rounds of 12 points and 12 pulls."]),
    ("Runner's feet 5: room for the toes", "Tight toe boxes crowd the forefoot and load it unevenly. Running shoes should let the toes spread and the ankle move.",
     ["Check your running shoes: can you spread your toes in them?", "Toe spreads and big-toe lifts, 10 each.", "Barefoot walk indoors for two minutes."]),
    ("Runner's feet 6: the routine to keep", "Three weeks in. Five minutes before or after a run keeps what you built.",
     ["Toe spreads ×10.", "2 rounds of 12 points and 12 pulls.", "Single-leg heel raises, 8 per side.", "Calf stretch, 30 seconds each leg."]),
]  # fmt: skip


def _body(why: str, drills: list[str]) -> str:
    lines = [why, "", "**Today's five minutes**", ""]
    lines += [f"{number}. {drill}" for number, drill in enumerate(drills, start=1)]
    lines += ["", f"_{_SAFETY}_"]
    return "\n".join(lines)


def _ensure_program(*, slug: str, defaults: dict, lessons: list) -> tuple[Program, list[str]]:
    created = []
    program, new = Program.objects.get_or_create(slug=slug, defaults=defaults)
    if new:
        created.append(f"program {program.name!r}")
    for day, (subject, why, drills) in enumerate(lessons):
        _, new_step = Step.objects.get_or_create(
            program=program, day=day, defaults={"subject": subject, "body": _body(why, drills)}
        )
        if new_step:
            created.append(f"lesson {day + 1} of {program.slug}")
    return program, created


def seed_demo() -> list[str]:
    """Create the demo rows that are missing; return a line per thing created."""
    foundations, created = _ensure_program(
        slug=FOUNDATIONS_SLUG,
        defaults={
            "name": "FoosFoot Foundations",
            "description": "Four weeks, one five-minute lesson a day: plantarflexion and dorsiflexion "
            "progressions, mobility drills and barefoot time at home. Included with the FoosFoot.",
            "is_public": False,
            "send_hour": 8,
        },
        lessons=FOUNDATIONS,
    )
    with_foosfoot = Product.objects.filter(Q(slug__icontains=FOOSFOOT_MARK) | Q(name__icontains=FOOSFOOT_MARK))
    for product in with_foosfoot.exclude(granted_programs=foundations).order_by("pk"):
        foundations.granted_by.add(product)
        created.append(f"{product.name} grants {foundations.name}")
    created += _seed_premium()
    _, starter_created = _ensure_program(
        slug=STARTER_SLUG,
        defaults={
            "name": "Seven-day foot starter",
            "description": "A free week of short daily foot exercises by email, no equipment needed.",
            "is_public": True,
            "send_hour": 8,
        },
        lessons=STARTER,
    )
    return created + starter_created


def _seed_premium() -> list[str]:
    """The members' programs, granted by both FoosFoot Coach plans (billing's demo runs before this one)."""
    balance, created = _ensure_program(
        slug=BALANCE_SLUG,
        defaults={
            "name": "Balance and stability",
            "description": "Four weeks, two short lessons a week: steadier feet and ankles, one-foot stands, reaches "
            "and the FoosFoot's points and pulls. For FoosFoot Coach members.",
            "send_hour": 8,
            "send_weekdays": [0, 3],
        },
        lessons=BALANCE,
    )
    runners, runners_created = _ensure_program(
        slug=RUNNERS_SLUG,
        defaults={
            "name": "Runner's feet",
            "description": "Three weeks, two short lessons a week: the Achilles, the arch, feet that roll in and "
            "shoes with room for the toes. For FoosFoot Coach members.",
            "send_hour": 7,
            "send_weekdays": [1, 5],
        },
        lessons=RUNNERS,
    )
    created += runners_created
    coach = Plan.objects.filter(slug__in=[plan["slug"] for plan in COACH_PLANS]).order_by("pk")
    for program in (balance, runners):
        for plan in coach.exclude(granted_programs=program):
            program.plans.add(plan)
            created.append(f"{plan.name} grants {program.name}")
    return created
