"""Demo site pages for `manage.py seed_demo` (through content.demo): the shop's fine print.

The figures are demo values, invented for a small shop that sells one device from the US and
kept the same wherever they appear: shipping costs and times here, the 30-day return window,
the two-year warranty, one contact address. Facts about the FoosFoot come from the company's
blog post; the wording is ours.
"""

from content.models import SitePage

CONTACT_EMAIL = "support@hodhod.example"
CONTACT_LINK = f"[{CONTACT_EMAIL}](mailto:{CONTACT_EMAIL})"

SHIPPING = f"""\
We ship the FoosFoot from our warehouse in the United States to the US, Canada and the
countries of the European Union. Orders are packed and handed to the carrier within **one
business day** of payment; the times below count business days (Monday to Friday, public
holidays excluded) from that hand-over.

| Destination and service | Cost | Delivery |
|---|---|---|
| United States, standard | 6.95 USD — **free on orders over 100 USD** | 3–5 business days |
| United States, express | 19.95 USD | 1–2 business days |
| Canada, standard | 14.95 USD | 5–8 business days |
| Canada, express | 34.95 USD | 2–3 business days |
| European Union, standard | 24.95 USD | 6–10 business days |

Free standard shipping in the US applies when the products in your order add up to more than
100 USD before any promotion code (the code is entered on the payment page, after the shipping
options are set), so a FoosFoot two-pack ships free.

You choose the destination before paying, and the checkout page shows only the services
available there, with their price, before you confirm anything. Any tax we have to charge is
shown at checkout too. Import duties, where a country charges them on arrival, are collected
by the carrier and are not included in our prices.

## Tracking your parcel

When your parcel leaves us we send an email with the carrier and a tracking link. The link
in your order confirmation shows the same information at any time.

## Somewhere else?

We do not ship outside the US, Canada and the EU yet. Write to {CONTACT_LINK} and tell us
where you are: it helps us decide where to go next.
"""

RETURNS = f"""\
Changed your mind? You have **30 days from delivery** to send the FoosFoot back for a refund,
no reason needed.

## How to return

1. Write to {CONTACT_LINK} with your order number (it is in your confirmation email) and
   what you are sending back.
2. Within one business day we reply with the return address and a return number.
3. Pack the device with all its parts, in its box if you still have it, write the return
   number on the parcel and send it with a tracked service.
4. When it arrives we check it and, within 5 business days, refund the price to the card or
   account you paid with. The refund then shows on your statement within 5–10 business days,
   depending on your bank.

The device should come back complete and in a condition we can pass on; signs that it was
tried out are fine.

## Who pays for the postage

For a change of mind, the cost of sending the parcel back is yours and the original shipping
charge is not refunded. If we sent the wrong item, or it arrived damaged or faulty, we pay
for everything: tell us within 30 days, with a photo if you can, and we send a prepaid label
or a replacement. After 30 days, a faulty device is covered by the
[two-year warranty](/pages/warranty/).

## Your exercise lessons

Returning the device does not stop the lesson emails that came with it. Each lesson has a
link to pause or stop them in one click, or ask us and we stop them for you.
"""

WARRANTY = f"""\
Every FoosFoot comes with a **two-year warranty** from the day it is delivered to you. Each
device in a two-pack has its own.

## What it covers

Faults in materials or workmanship that show up in normal use at home or at work, such as:

- a footplate or frame that cracks or bends,
- a joint that loosens, wobbles or seizes,
- a resistance setting that no longer holds or cannot be adjusted.

## What it does not cover

- ordinary wear: scuffs, scratches, a grip surface worn smooth by use;
- damage from an accident, a fall, misuse, or use the device was not made for;
- a device that has been taken apart, modified or repaired by someone else.

## How to claim

Write to {CONTACT_LINK} with your order number, a short description of what went wrong and,
if you can, a photo or a short video. If the fault is covered we repair or replace the
device, and we pay the shipping both ways. If we can do neither, we refund what you paid for
it.

This warranty comes on top of the rights the consumer law of your country gives you; it
does not take any of them away.
"""

CONTACT = f"""\
Questions about an order, a return, the warranty or your exercise lessons: write to us at
{CONTACT_LINK}.

We read and answer mail **Monday to Friday, 9:00 to 17:00 US Eastern time**, and reply within
one business day. Messages sent over the weekend are answered on Monday.

## Help us help you

- Give your **order number** (it starts with HH- and is in your confirmation email) when
  you write about an order.
- Never send a card number: we do not need it and never ask for it. Payments are handled by
  Stripe, not by us.
- The link in your order confirmation shows your order's status and tracking at any time.
- Every lesson email has its own links to pause the lessons, change the hour they arrive or
  stop them.

Many questions are answered already in our [questions and answers](/faq/).

## Your data

To ask for a copy of what we hold about you, or to have it erased, write to the same address
from the email address concerned. The [privacy page](/pages/privacy/) explains what we keep.
"""

PRIVACY = f"""\
This page says what Hod & Hod LLC keeps about you when you buy from us or get our lessons, why,
for how long, and how to see or erase it.

## What we keep

- **Your orders.** Your email address, your name, the shipping address, what you bought
  (products, quantities, prices), and the history of the order: paid, shipped, refunded. We
  need these to deliver, answer questions, handle returns and the warranty, and keep the
  accounts.
- **Your exercise lessons.** Your enrollment in each lesson program (email address, program,
  time zone, the hour you get lessons, paused or stopped) and a record of each lesson we
  sent you and when.
- **Email delivery events.** What our mail provider tells us about a message: delivered,
  bounced, or marked as spam. An address that bounces or complains goes on a do-not-mail list,
  so we stop writing to it.
- **Payment references.** Stripe takes your payment on its own pages. Your card details go to
  Stripe and **never reach our server**. We keep Stripe's references to the payment and to any
  refund, and the messages Stripe sends us about them.
- **Server logs.** Each request to the site is logged to keep the service working and safe;
  email addresses are masked and private links shortened before anything is written.

We use no advertising or analytics trackers. The site sets cookies only to keep your cart,
show a one-time notice and protect its forms, and loads nothing from other companies' servers.

## Who else sees it

Stripe (payments and refunds), our mail provider (order and lesson emails) and the carrier
(your name and the delivery address). Each gets only what its job needs.

## How long we keep it

| What | How long |
|---|---|
| Orders and refunds | 7 years, as our accounts require |
| Personal details inside the messages Stripe sends us | removed after 90 days; the payment references stay with the order |
| Lesson enrollments and their delivery records | while you take the lessons; once you stop them, only so you can take the program up again, until you ask us to erase them |
| The do-not-mail list | as long as it has to work: it is what keeps us from writing to you |

## Your copy, and erasure

Write to {CONTACT_LINK} from the address concerned to get a copy of everything we hold about
it, or to have it erased. We answer within 30 days. Erasure removes your lessons and
anonymises your orders; what the law obliges us to keep for the accounts stays until that
obligation ends, and nothing more.
"""

TERMS = f"""\
These terms apply to what you buy in the Hod & Hod shop. The shop is run by Hod & Hod LLC;
you can reach us at {CONTACT_LINK}.

## Prices and payment

Prices are in US dollars. Shipping and any tax are added at checkout and shown before you
pay. Payment is taken by Stripe on its secure checkout page.

## Your order

An order is accepted when the payment has gone through and we have sent you the
confirmation email. If we cannot fulfil it after all — for example the last unit was sold
a moment earlier — we tell you and refund the full amount.

## Delivery, returns and warranty

Delivery costs and times are on the [shipping page](/pages/shipping/). You may return a
device within 30 days of delivery as described on the [returns page](/pages/returns/), and
every FoosFoot carries the [two-year warranty](/pages/warranty/).

## Exercise lessons

A FoosFoot comes with a program of short lessons by email, one a day at the hour you choose.
You can pause, move or stop them at any moment with the links in each lesson.

## Look after yourself

The FoosFoot and our lessons are for everyday foot exercise. They are not medical advice and
do not replace a doctor or a physiotherapist. If you have pain, an injury, a medical
condition, or are recovering from surgery, ask a professional before you start, and stop
any exercise that hurts.

## Changes

We may update these terms. The version in force when you ordered applies to that order; the
date at the bottom of this page says when it last changed.
"""

SITE_PAGES = [
    (
        "shipping",
        "Shipping",
        "Shipping costs and delivery times for the US, Canada and the EU, free US standard shipping over 100 USD.",
        SHIPPING,
    ),
    (
        "returns",
        "Returns",
        "Send the FoosFoot back within 30 days of delivery for a refund: how, and who pays.",
        RETURNS,
    ),
    ("warranty", "Warranty", "Two years on every FoosFoot: what the warranty covers and how to claim.", WARRANTY),
    ("contact", "Contact us", "Write to Hod & Hod about an order, a return or your lessons; when we answer.", CONTACT),
    (
        "privacy",
        "Privacy",
        "What Hod & Hod keeps about you, who else sees it, for how long, and how to get a copy or erase it.",
        PRIVACY,
    ),
    ("terms", "Terms of sale", "The terms of buying from the Hod & Hod shop.", TERMS),
]


def seed_site_pages() -> list[str]:
    """Create the demo site pages that are missing; return a line per page created."""
    created = []
    for position, (slug, title, summary, body) in enumerate(SITE_PAGES, start=1):
        page, new = SitePage.objects.get_or_create(
            slug=slug,
            defaults={
                "title": title,
                "summary": summary,
                "body_markdown": body,
                "is_published": True,
                "position": position,
            },
        )
        if new:
            created.append(f"site page {page.title!r}")
    return created
