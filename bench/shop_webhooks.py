"""Stripe webhook events acknowledged per second beside /healthz, under the production gunicorn on PostgreSQL.

    .venv/bin/python -m bench.shop_webhooks [--clients 4] [--per-client 50] [--rounds 3] [--workers 2] [--threads 4]

Creates a throw-away database, starts the Stripe emulator and the image's gunicorn command
(`-c python:hodhod.webserver`) on free 127.0.0.1 ports and prepares `rounds × clients × per-client`
real orders: API cart →
checkout (a Checkout Session on the emulator) → paid on the emulator's hosted page
(no webhook URL, so nothing is delivered yet) → the completed session fetched from
the emulator. Then, each client process on one keep-alive connection, bounded loops of:
GET /healthz; POST /stripe/webhook/ with a freshly signed `checkout.session.completed`
for each order (verify, store once, lock, mark paid, build the confirmation email);
and the same events again (duplicates: verify, find stored, answer). Each round times /healthz
and then a fresh batch of first deliveries; the goal (issue 16: a first delivery at least 0.2×
/healthz) is judged on the median round, so one noisy round neither passes nor fails the run.
Prints the rates and ratios, exits 1 when the goal is missed, stops the servers and drops the database.
"""

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import time

from bench.shop_harness import (
    WEBHOOK_SECRET,
    checkout_loop,
    healthz_loop,
    make_carts,
    pay_sessions,
    rate,
    request,
    shop_server,
)
from stripe_emulator import sign_payload


def event_for(session: dict, index: int) -> dict:
    return {
        "id": f"evt_bench_{index:08d}_{session['id'][-8:]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "type": "checkout.session.completed",
        "data": {"object": session},
    }


def webhook_loop(args: tuple[int, list[dict]]) -> tuple[int, int, float]:
    """One client: POST each event once, signed just before sending (the signature is time-stamped)."""
    port, events = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payloads = [json.dumps(event).encode() for event in events]
    ok = errors = 0
    started = time.perf_counter()
    for payload in payloads:
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)}
        status, _ = request(conn, "POST", "/stripe/webhook/", payload, headers)
        ok, errors = (ok + 1, errors) if status == 200 else (ok, errors + 1)
    return ok, errors, time.perf_counter() - started


GOAL_FIRST_DELIVERY_RATIO = 0.2  # issue 16: a first delivery at least 0.2× /healthz (0.076 before)


def prepare_events(pool, port: int, emulator_port: int, clients: int, per_client: int, rounds: int) -> list[list]:
    """`rounds × clients` batches of signed-later events, each for an order paid on the emulator (untimed)."""
    carts = pool.map(make_carts, [(port, per_client * rounds)] * clients)
    checkouts = pool.map(checkout_loop, [(port, tokens) for tokens in carts])
    session_ids = [[c["checkout_session_id"] for c in done] for done, _, _ in checkouts]
    sessions = pool.map(pay_sessions, [(emulator_port, ids) for ids in session_ids])
    events = [
        [event_for(session, n * 100_000 + i) for i, session in enumerate(batch)] for n, batch in enumerate(sessions)
    ]
    return [[client[r * per_client : (r + 1) * per_client] for client in events] for r in range(rounds)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    server = shop_server("bench_hodhod_shop_webhooks", args.workers, args.threads)
    rounds = []
    with server as (port, emulator_port), multiprocessing.Pool(args.clients) as pool:
        batches = prepare_events(pool, port, emulator_port, args.clients, args.per_client, args.rounds)
        pool.map(healthz_loop, [(port, 50)] * args.clients)  # warm-up
        for batch in batches:
            healthz, *_ = rate(pool.map(healthz_loop, [(port, args.per_client * 4)] * args.clients))
            first, first_ok, first_errors = rate(pool.map(webhook_loop, [(port, b) for b in batch]))
            rounds.append((healthz, first, first_ok, first_errors))
        dup, dup_ok, dup_errors = rate(pool.map(webhook_loop, [(port, b) for b in batches[-1]]))

    ratios = [first / healthz for healthz, first, _, _ in rounds]
    median = statistics.median(ratios)
    errors = sum(r[3] for r in rounds) + dup_errors
    print(
        f"gunicorn -c python:hodhod.webserver, {args.workers} workers × {args.threads} threads, {args.clients} clients"
    )
    for n, (healthz, first, ok, failed) in enumerate(rounds, 1):
        print(
            f"  round {n}: /healthz {healthz:8.1f} req/s, first delivery {first:7.1f} events/s ({ok} ok, {failed} "
            f"errors): ratio {first / healthz:.3f}"
        )
    healthz_last = rounds[-1][0]
    print(f"  webhook, duplicate delivery            {dup:8.1f} events/s  ({dup_ok} ok, {dup_errors} errors)")
    print(f"  ratio duplicate / healthz (last round) {dup / healthz_last:8.3f}")
    print(f"  ratio first / healthz, median of {len(rounds)}    {median:8.3f}  (goal ≥ {GOAL_FIRST_DELIVERY_RATIO})")
    missed = []
    if median < GOAL_FIRST_DELIVERY_RATIO:
        missed.append(f"first delivery {median:.3f}× /healthz < {GOAL_FIRST_DELIVERY_RATIO}")
    if errors:
        missed.append(f"{errors} webhook errors")
    if missed:
        print("GOAL MISSED: " + "; ".join(missed))
        return 1
    print("goal met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
