"""Demo data for `manage.py seed_demo`; running it twice changes nothing.

The article retells the company's own blog post (facts and figures kept, the
wording ours): how weak feet and back pain are linked, and what to do about it.
The site pages (shipping, returns, warranty, contact, privacy, terms) are in demo_pages.py.
"""

from datetime import timedelta

from django.utils import timezone

from content.demo_pages import seed_site_pages
from content.models import Article, FaqCategory, FaqEntry, FurtherReading, Tag
from shop.models import Product

ARTICLE_SLUG = "weak-feet-and-back-pain"

ARTICLE_BODY = """\
Sore feet and an aching lower back are among the most common reasons adults see a
doctor. They are usually treated as two separate problems. They often are not: the
way your feet work and the way your spine feels are tied together, in both directions.

## When the trouble starts in the back

The nerves that run the muscles of the foot leave the spine low down, around the
**L5 and S1** vertebrae. Pressure on those nerve roots — from a bulging disc, for
example — can show up far away from the back: a weak or unsteady foot, poor control
of the toes, in severe cases a *foot drop*. Research published in the *Journal of
Neurosciences in Rural Practice* tied lumbar disc problems to loss of foot strength
and coordination. So if foot weakness has not responded to treatment, it is worth
asking whether the cause sits higher up.

## When the trouble starts in the feet

The link also runs upward. Feet are the base everything else stands on, and a poor
base makes the levels above it work harder.

1. **Flat, over-pronating feet.** When the arches collapse and the feet roll in, the
   legs turn inward and the pelvis tips forward. The curve of the lower back deepens
   and its muscles and ligaments carry more load than they should.
2. **A weak foundation.** Stiff, weak or badly aligned feet leave the stabilising
   muscles of the spine to make up the difference, day after day, until the overload
   becomes a chronic ache.
3. **Shoes that do the work for you.** Very cushioned or rigid shoes and permanent
   orthotics can ease symptoms at first, but a foot that is always supported stops
   using its own muscles. Strength, circulation and joint stability decline with it.

The size of the effect is not small: a 2024 article by Antonio Ruffo reported that
people with flat feet are about **4.5 times** as likely to have chronic lower back pain.

## Strength, not only support

Each foot is a small machine of **26 bones and 33 joints**, moved and held together by
**more than 100 muscles, ligaments and tendons**. Working together they soak up impact
and keep you balanced. Left idle, or wrapped in support all day, the muscles waste
away — and that weakness is behind many familiar complaints: plantar fasciitis, heel
spurs, Achilles tendon trouble, and pain further up at the hip and the back.

Insoles, injections and surgery can bring relief, but none of them rebuilds a foot
that has lost its strength. Training does.

## Where the FoosFoot fits in

The FoosFoot from Hod & Hod is a compact device for two basic movements: pointing
the foot down (*plantarflexion*) and pulling it up (*dorsiflexion*). Done regularly,
at home or under the desk at work, they:

- wake up and strengthen the deep muscles that stabilise the foot,
- help balance and posture,
- get blood moving in the feet and lower legs,
- sit well alongside physiotherapy and rehabilitation,
- and travel easily, because the device is small.

## What your foot complaints may be telling you

- **Heel pain and plantar fasciitis** are usually blamed on a tight fascia, yet weak
  foot muscles and poor shock absorption play their part; strengthening addresses
  that, arch supports do not.
- **Achilles tendon pain** gets worse when the foot is stiff and the calves are weak;
  a more mobile, stronger foot takes load off the tendon.
- **Metatarsalgia and Morton's neuroma** are aggravated by narrow shoes and a poor
  gait; an active foot spreads pressure more evenly across the forefoot.

## A simple plan

1. **Check your shoes.** Choose ones that let your toes spread and your ankle move.
2. **Test your feet.** Can you move your toes on purpose? Can you lift the front of
   your foot slowly and under control? If not, start training.
3. **Five minutes a day with the FoosFoot**, alternating plantarflexion and
   dorsiflexion to work the front and back of the foot and calf.
4. **Add mobility work.** Stretch the calves, massage the arches, roll out tight spots.
5. **Go barefoot at home** on safe floors, so your feet keep doing their job.

Feet and back belong to one chain. Look after the bottom link and the rest of the
chain has an easier time.
"""

ARTICLE_FAQ = [
    (
        "Can foot pain really cause lower back pain?",
        "It can. Weak or badly aligned feet change how the legs and pelvis move, and the "
        "spine compensates for that — which over time can hurt.",
    ),
    (
        "Are orthotics bad for you?",
        "Not as such. They can help for a while, but they should not stand in for building "
        "strength in the foot itself. Treat them as a temporary aid rather than the cure.",
    ),
    (
        "How quickly can weak feet get stronger?",
        "With daily strengthening — for example on the FoosFoot — plus sensible shoes and a "
        "few mobility drills, many people notice a difference within **2 to 4 weeks**.",
    ),
    (
        "Can poor circulation in the feet affect the back?",
        "Yes. Tissue that is poorly supplied recovers more slowly and stiffens, and that "
        "stiffness can travel up the chain to the hips and the lower back.",
    ),
    (
        "How does the FoosFoot help with foot pain?",
        "It guides plantarflexion and dorsiflexion exercises that train the muscles of the "
        "foot, so the foot works better and hurts less.",
    ),
]

COMPANY_FAQ = [
    (
        "What does Hod & Hod do?",
        "Hod & Hod LLC makes tools for healthier feet. We believe in natural movement and "
        "strength rather than permanent support, and our FoosFoot helps people act early "
        "against foot pain and the back pain that can come with it.",
    ),
    (
        "Where can I buy the FoosFoot?",
        "Right here, in the [Hod & Hod shop](/) — our official website is where the FoosFoot is sold.",
    ),
    (
        "Is the FoosFoot safe for seniors?",
        "Yes. The exercises are low-impact and the device adjusts to the user, so it suits "
        "every age group. Older people with weak feet or balance problems often benefit most.",
    ),
]

FURTHER_READING = [
    (
        "Foot pain vs back pain: can my feet be causing my back pain? (Foundation Podiatry)",
        "https://www.foundationpodiatry.com.au/foot-pain-vs-back-pain-can-my-feet-be-causing-my-back-pain/",
    ),
    (
        "The link between your feet and low back pain (Run Doctor)",
        "https://www.rundoctor.com/blog/the-link-between-your-feet-and-low-back-pain",
    ),
    (
        "That pain in your back could be linked to your feet (Foot Health Facts)",
        "https://www.foothealthfacts.org/article/that-pain-in-your-back-could-be-linked-to-your-fee",
    ),
]

TAGS = [("Back pain", "back-pain"), ("Foot health", "foot-health"), ("Exercise", "exercise")]


def _foosfoot():
    return Product.objects.filter(slug="foosfoot").first() or Product.objects.filter(name__icontains="foosfoot").first()


def _seed_faq(category: FaqCategory, entries: list[tuple[str, str]], created: list[str]) -> list[FaqEntry]:
    result = []
    for position, (question, answer) in enumerate(entries, start=1):
        entry, new = FaqEntry.objects.get_or_create(
            category=category,
            question=question,
            defaults={"answer_markdown": answer, "position": position},
        )
        if new:
            created.append(f"FAQ entry {question!r}")
        result.append(entry)
    return result


def seed_demo() -> list[str]:
    """Create the demo rows that are missing; return a line per thing created."""
    created: list[str] = []
    tags = []
    for name, slug in TAGS:
        tag, new = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
        if new:
            created.append(f"tag {name!r}")
        tags.append(tag)

    product = _foosfoot()
    article, new = Article.objects.get_or_create(
        slug=ARTICLE_SLUG,
        defaults={
            "title": "How weak feet can lead to a bad back — and what to do about it",
            "summary": (
                "Your feet and your lower back are more connected than they look. How the link works in "
                "both directions, and why strengthening the foot beats only supporting it."
            ),
            "body_markdown": ARTICLE_BODY,
            "status": Article.Status.PUBLISHED,
            "published_at": timezone.now() - timedelta(days=1),
            "seo_title": "Weak feet and back pain: the overlooked link",
            "seo_description": (
                "How foot mechanics and lower back pain affect each other, and a daily plan "
                "to strengthen your feet with the FoosFoot."
            ),
            "featured_product": product,
        },
    )
    if new:
        created.append(f"article {article.title!r}")
        article.tags.add(*tags)
        for position, (title, url) in enumerate(FURTHER_READING, start=1):
            FurtherReading.objects.create(article=article, title=title, url=url, position=position)
        created.append(f"{len(FURTHER_READING)} further-reading links")

    article_category, new = FaqCategory.objects.get_or_create(
        slug="foot-pain-and-back-pain", defaults={"name": "Foot pain and back pain", "position": 2}
    )
    if new:
        created.append(f"FAQ category {article_category.name!r}")
    company_category, new = FaqCategory.objects.get_or_create(
        slug="about-hod-and-hod", defaults={"name": "About Hod & Hod", "position": 1}
    )
    if new:
        created.append(f"FAQ category {company_category.name!r}")

    article_entries = _seed_faq(article_category, ARTICLE_FAQ, created)
    company_entries = _seed_faq(company_category, COMPANY_FAQ, created)
    article.faq_entries.add(*article_entries)
    if product is not None:
        product.faq_entries.add(article_entries[-1], company_entries[-1], company_entries[1])
    created += seed_site_pages()
    return created
