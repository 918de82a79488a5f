"""Renewal storm: `invoice.paid` + `customer.subscription.updated` through /stripe/webhook/ beside /healthz, under
gunicorn on PostgreSQL, and the queries one event costs with 100 members and with `--members`.

    .venv/bin/python -m bench.billing_renewals [--members 10000] [--events 10000] [--sample 20]
                                               [--clients 4] [--workers 2] [--threads 4]

Creates a throw-away database, starts the Stripe emulator in this process and gives the FoosFoot Coach plan
`--members` members, mirrored locally as billing keeps them after the join (active, in their first period) and
enrolled in a premium program of eight lessons (`programs.memberships.sync_program_members`, the pass a plan
gaining a program runs: timed). Those whose renewals are sent are real subscriptions in the emulator's store (a
customer, a paid subscription-mode Checkout Session); the others exist in our database only. Each renewal is made by the emulator's own billing code (`_renew`: the new period, a
renewal invoice, paid), and its two events are sent as Stripe sends them: the subscription's update, then the
invoice paid. Billing answers each by retrieving Stripe's copy (the subscription, the invoice with its payments)
from the emulator, so every event costs two or three API round trips, as with Stripe.

The queries per event are counted in this process (Django's test client, the same view) for `--sample`
members' renewals with 100 members, then with `--members`; they must not grow. Then `--events` events
(`--events / 2` renewals, each member's two events in order on one client) go to gunicorn with the production
settings, `--clients` processes at once, beside a /healthz loop on the same server. Prints the rates, the
ratio, the queries per event at both sizes, and checks that every renewal was applied once.
"""

import argparse
import json
import multiprocessing
import subprocess
import time
from collections import defaultdict

from bench.common import configure_django, database_url, throwaway_database
from bench.shop_harness import PYTHON, ROOT, WEBHOOK_SECRET, free_port, healthz_loop, rate, server_env, stop, wait_for
from bench.shop_webhooks import webhook_loop
from stripe_emulator import StripeEmulator, sign_payload

DB_NAME = "bench_hodhod_billing_renewals"
SMALL = 100
LESSONS = 8


def stripe_members(emu: StripeEmulator, price_id: str, first: int, count: int) -> list[dict]:
    """`count` members in the emulator's store: a customer each, a paid subscription-mode Checkout Session."""
    rows = []
    for index in range(first, first + count):
        email = f"member{index:06d}@example.com"
        reference = f"HM-B{index:07d}"
        customer = emu.create_customer({"email": email})
        session = emu.create_session(
            {
                "mode": "subscription",
                "line_items": [{"price": price_id, "quantity": "1"}],
                "customer": customer["id"],
                "client_reference_id": reference,
                "success_url": "http://127.0.0.1/membership/success/",
                "subscription_data": {"metadata": {"hodhod_subscription": reference}},
            }
        )
        paid = emu.complete_session(session["id"], "paid", send_webhook=False)
        period_end = emu.subscriptions[paid["subscription"]]["items"]["data"][0]["current_period_end"]
        rows.append(
            {
                "email": email,
                "reference": reference,
                "customer": customer["id"],
                "subscription": paid["subscription"],
                "period_end": period_end,
            }
        )
    return rows


def stay_at_home_members(first: int, count: int, period_end: int) -> list[dict]:
    """Members whose renewals this run does not send: rows in our database only (Stripe is never asked about
    them), so a run that sends fewer events still measures `--members` members."""
    return [
        {
            "email": f"member{index:06d}@example.com",
            "reference": f"HM-B{index:07d}",
            "customer": f"cus_bench{index:07d}",
            "subscription": f"sub_bench{index:07d}",
            "period_end": period_end,
        }
        for index in range(first, first + count)
    ]


def store_members(plan, rows: list[dict]) -> None:
    """The members as billing keeps them once their join is synced: active, in their first period."""
    from django.utils import timezone

    from billing.models import BillingCustomer, Subscription, from_timestamp

    now = timezone.now()
    customers = BillingCustomer.objects.bulk_create(
        BillingCustomer(email=row["email"], stripe_customer_id=row["customer"]) for row in rows
    )
    Subscription.objects.bulk_create(
        (
            Subscription(
                reference=row["reference"],
                email=row["email"],
                plan=plan,
                customer=customer,
                status=Subscription.Status.ACTIVE,
                has_access=True,
                amount=plan.price,
                currency=plan.currency,
                interval=plan.interval,
                stripe_subscription_id=row["subscription"],
                current_period_end=from_timestamp(row["period_end"]),
                access_started_at=now,
                last_synced_at=now,
            )
            for row, customer in zip(rows, customers, strict=True)
        ),
        batch_size=2000,
    )


def renewals(emu: StripeEmulator, rows: list[dict]) -> list[list[dict]]:
    """Renew each member's subscription with the emulator's billing code; per member, the two events Stripe sends
    for it that billing applies: customer.subscription.updated (the new period), then invoice.paid."""
    wanted = ("customer.subscription.updated", "invoice.paid")
    with emu.batch(send=False) as made:
        for row in rows:
            emu._renew(emu.subscriptions[row["subscription"]])  # noqa: SLF001 - the clock's step, for one member
    per_member = defaultdict(list)
    for event in made:
        if event["type"] in wanted:
            obj = event["data"]["object"]
            owner = (
                obj["id"] if obj["object"] == "subscription" else obj["parent"]["subscription_details"]["subscription"]
            )
            per_member[owner].append(event)
    return [per_member[row["subscription"]] for row in rows]


def enroll_members(program_id: int) -> tuple[float, int]:
    """The pass a plan gaining a program runs (on the worker for a big plan): (seconds, members enrolled)."""
    from programs.memberships import sync_program_members

    started = time.perf_counter()
    counts = sync_program_members(program_id=program_id)
    return time.perf_counter() - started, counts["enrolled"]


def queries_per_event(pairs: list[list[dict]]) -> dict[str, tuple[int, int]]:
    """(fewest, most) queries of one event of each type, POSTed through Django's test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client, seen = Client(), defaultdict(list)
    for pair in pairs:
        for event in pair:
            payload = json.dumps(event).encode()
            with CaptureQueriesContext(connection) as queries:
                answer = client.post(
                    "/stripe/webhook/",
                    data=payload,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign_payload(payload, WEBHOOK_SECRET),
                )
            assert answer.status_code == 200, answer.content
            seen[event["type"]].append(len(queries))
    return {kind: (min(counts), max(counts)) for kind, counts in sorted(seen.items())}


def storm(emu: StripeEmulator, pairs: list[list[dict]], args) -> dict[str, float]:
    """The renewals' events through gunicorn (production settings), beside /healthz on the same server."""
    port = free_port()
    env = {**server_env(DB_NAME, port, emu.base_url), "DATABASE_URL": database_url(DB_NAME)}
    gunicorn = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "hodhod.wsgi", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", str(args.workers), "--threads", str(args.threads), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port, "/healthz", gunicorn, "gunicorn")
        batches = [[event for pair in pairs[n :: args.clients] for event in pair] for n in range(args.clients)]
        with multiprocessing.Pool(args.clients) as pool:
            pool.map(healthz_loop, [(port, 50)] * args.clients)  # warm-up
            healthz, *_ = rate(pool.map(healthz_loop, [(port, 500)] * args.clients))
            events, ok, errors = rate(pool.map(webhook_loop, [(port, batch) for batch in batches]))
    finally:
        stop(gunicorn)
    return {"healthz": healthz, "events": events, "ok": ok, "errors": errors}


def applied_once(rows: list[dict], emu: StripeEmulator) -> tuple[int, int]:
    """(renewals whose new period is stored, renewal invoices stored) for these members."""
    from billing.models import Invoice, Subscription, from_timestamp

    ids = [row["subscription"] for row in rows]
    ends = dict(
        Subscription.objects.filter(stripe_subscription_id__in=ids).values_list(
            "stripe_subscription_id", "current_period_end"
        )
    )
    renewed = sum(
        ends[sub_id] == from_timestamp(emu.subscriptions[sub_id]["items"]["data"][0]["current_period_end"])
        for sub_id in ids
    )
    invoices = Invoice.objects.filter(subscription__stripe_subscription_id__in=ids, billing_reason="subscription_cycle")
    return renewed, invoices.count()


def prepare(emu: StripeEmulator, url: str):
    """Django in this process on the throw-away database (migrated), the plan synced to the emulator, and a
    premium program of `LESSONS` lessons that the plan grants: (plan, program)."""
    import os
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic for a benchmark

    configure_django(
        DATABASE_URL=url,
        STRIPE_API_BASE=emu.base_url,
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/1"),
    )
    from decimal import Decimal

    from django.core.management import call_command

    from billing.models import Plan
    from billing.plans import sync_plan
    from programs.models import Program, Step
    from programs.signals import enrollment_started

    call_command("migrate", verbosity=0)
    # Thousands of welcome emails are not what is measured: the worker's queue is left alone.
    enrollment_started.disconnect(dispatch_uid="programs.welcome_started_enrollment")
    plan = Plan.objects.create(name="FoosFoot Coach, monthly", slug="coach-monthly", price=Decimal("9.00"))
    plan = sync_plan(plan_id=plan.pk)
    program = Program.objects.create(name="Balance and stability", slug="balance", send_hour=8)
    Step.objects.bulk_create(
        Step(program=program, day=day, subject=f"Lesson {day + 1}", body="Stand.") for day in range(LESSONS)
    )
    program.plans.through.objects.create(program=program, plan=plan)  # no signal: the members are enrolled below
    return plan, program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000, help="sent to gunicorn: two per renewal")
    parser.add_argument("--sample", type=int, default=20, help="renewals whose queries are counted at each size")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    renewing = args.events // 2
    if args.members < SMALL + args.sample + renewing or args.sample > SMALL:
        raise SystemExit(f"--members must be at least {SMALL + args.sample + renewing}, --sample at most {SMALL}")

    emu = StripeEmulator(webhook_secret=WEBHOOK_SECRET).start()
    try:
        with throwaway_database(DB_NAME) as url:
            plan, program = prepare(emu, url)
            started = time.perf_counter()
            few = stripe_members(emu, plan.stripe_price_id, 0, SMALL)
            store_members(plan, few)
            enroll_members(program.pk)
            small = queries_per_event(renewals(emu, few[: args.sample]))
            many = stripe_members(emu, plan.stripe_price_id, SMALL, args.sample + renewing)
            rest = args.members - SMALL - len(many)
            store_members(plan, many + stay_at_home_members(SMALL + len(many), rest, few[0]["period_end"]))
            enrolled_in, enrolled = enroll_members(program.pk)
            large = queries_per_event(renewals(emu, many[: args.sample]))
            storm_rows = many[args.sample :]
            pairs = renewals(emu, storm_rows)
            prepared_in = time.perf_counter() - started

            from django.db import connections

            connections.close_all()  # the client processes fork from this one
            figures = storm(emu, pairs, args)
            renewed, invoices = applied_once(storm_rows, emu)
    finally:
        emu.stop()
    report(args, figures, small, large, renewed, invoices, enrolled, enrolled_in, prepared_in)


def report(args, figures, small, large, renewed, invoices, enrolled, enrolled_in, prepared_in) -> None:
    def queries(counts: dict[str, tuple[int, int]]) -> str:
        return ", ".join(f"{kind} {low}" + (f"–{high}" if high != low else "") for kind, (low, high) in counts.items())

    sent = figures["ok"] + figures["errors"]
    print(f"gunicorn {args.workers} workers × {args.threads} threads, {args.clients} clients, PostgreSQL, "
          f"{args.members:,} members (prepared in {prepared_in:.0f} s)")  # fmt: skip
    print(f"  /healthz                                  {figures['healthz']:8.1f} req/s")
    print(f"  renewal events (invoice.paid + customer.subscription.updated)  {figures['events']:8.1f} events/s  "
          f"({figures['ok']:,} ok, {figures['errors']} errors)")  # fmt: skip
    print(f"  ratio events / healthz                    {figures['events'] / figures['healthz']:8.3f}")
    print(f"  queries per event, {SMALL:,} members:       {queries(small)}")
    print(f"  queries per event, {args.members:,} members:    {queries(large)}")
    print(f"  renewals applied: {renewed:,} of {sent // 2:,} periods, {invoices:,} renewal invoices stored")
    print(f"  a plan gaining a program: {enrolled:,} members enrolled ({LESSONS} lessons each) in {enrolled_in:.1f} s")
    if small != large or renewed != sent // 2 or invoices != sent // 2 or figures["errors"]:
        raise SystemExit("queries grew with the members, or a renewal was not applied once")


if __name__ == "__main__":
    main()
