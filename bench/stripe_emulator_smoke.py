"""The Stripe emulator on its own: Checkout Session creations per second beside its /health.

    .venv/bin/python -m bench.stripe_emulator_smoke [--clients 4] [--seconds 5]

Starts `python -m stripe_emulator --quiet` on a free 127.0.0.1 port, then, with
`--clients` processes for `--seconds` each: a loop of GET /health on one keep-alive
connection (the trivial answer), and a loop of `client.v1.checkout.sessions.create`
through the real stripe library (form encoding, idempotency key, JSON parsing).
Prints both rates and their ratio, then stops the emulator. A smoke test of the
emulator's capacity: the shop's own benchmark is bench.shop_checkout.
"""

import argparse
import http.client
import multiprocessing
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def health_loop(args) -> int:
    port, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("GET", "/health")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        done += 1
    conn.close()
    return done


def create_loop(args) -> int:
    import stripe

    port, seconds = args
    client = stripe.StripeClient(
        "sk_test_bench", base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=2
    )
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 18900, "product_data": {"name": "FoosFoot"}},
                "quantity": 1,
            }
        ],
        "success_url": "http://127.0.0.1/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1/cancel",
        "customer_email": "bench@example.com",
        "expires_at": int(time.time()) + 1800,
        "shipping_address_collection": {"allowed_countries": ["US"]},
    }
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        client.v1.checkout.sessions.create(params=params)
        done += 1
    return done


def run(loop, port: int, clients: int, seconds: float) -> float:
    with multiprocessing.Pool(clients) as pool:
        started = time.monotonic()
        total = sum(pool.map(loop, [(port, seconds)] * clients))
        return total / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()

    emulator = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(re.search(r":(\d+)", emulator.stdout.readline()).group(1))
        health = run(health_loop, port, args.clients, args.seconds)
        creations = run(create_loop, port, args.clients, args.seconds)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    print(f"emulator /health:                {health:8.1f} req/s  ({args.clients} clients, {args.seconds:g} s)")
    print(f"checkout session creations:      {creations:8.1f} req/s  (stripe library)")
    print(f"ratio creations / health:        {creations / health:8.2f}")


if __name__ == "__main__":
    main()
