"""Checkout-session creations per second beside /healthz, under gunicorn on PostgreSQL.

    .venv/bin/python -m bench.shop_checkout [--clients 4] [--per-client 50] [--workers 2] [--threads 4]

Creates a throw-away database, starts the Stripe emulator and gunicorn on free
127.0.0.1 ports, prepares `clients × per-client` API carts (not timed), then, with
`--clients` processes each on one keep-alive connection: a bounded loop of
GET /healthz, and a bounded loop of POST /api/carts/<token>/checkout/ to the US (stock
reservation under row locks, the order with the US shipping rates it is offered, and a
Checkout Session created on the emulator through the stripe library: two shipping options,
promotion codes allowed, recovery and consent asked). Prints both rates and their ratio;
then, untimed, pays a few of the sessions with the promotion code BENCH10 and checks that
Stripe settled the discount and the shipping. Stops the servers and drops the database.
"""

import argparse
import multiprocessing

from bench.shop_harness import checkout_loop, healthz_loop, make_carts, pay_sessions, rate, shop_server


def check_sessions(emulator_port: int, results: list) -> str:
    """Pay three of the sessions with the code (untimed): what Stripe settled, for the printout."""
    session_ids = [body["checkout_session_id"] for done, _, _ in results for body in done][:3]
    sessions = pay_sessions((emulator_port, session_ids))
    for session in sessions:
        details = session["total_details"]
        assert len(session["shipping_options"]) == 2, session["shipping_options"]
        assert session["discounts"] and details["amount_discount"] == 590, details
        assert details["amount_shipping"] == 695 and session["amount_total"] == 5900 - 590 + 695, session
    return f"{len(sessions)} sessions: 2 shipping options each; paid with BENCH10: 5.90 off, 6.95 shipping, 65.05 USD"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    server = shop_server("bench_hodhod_shop_checkout", args.workers, args.threads)
    with server as (port, emulator_port), multiprocessing.Pool(args.clients) as pool:
        pool.map(healthz_loop, [(port, 50)] * args.clients)  # warm-up
        healthz, *_ = rate(pool.map(healthz_loop, [(port, args.per_client * 4)] * args.clients))
        carts = pool.map(make_carts, [(port, args.per_client)] * args.clients)
        results = pool.map(checkout_loop, [(port, tokens) for tokens in carts])
        checkout_rate, done, errors = rate(results)
        checked = check_sessions(emulator_port, results)

    print(f"gunicorn {args.workers} workers × {args.threads} threads, {args.clients} clients, PostgreSQL")
    print(f"  /healthz                     {healthz:8.1f} req/s")
    print(f"  checkout (session created)   {checkout_rate:8.1f} req/s  ({done} ok, {errors} errors)")
    print(f"  ratio checkout / healthz     {checkout_rate / healthz:8.3f}")
    print(f"  check: {checked}")


if __name__ == "__main__":
    main()
