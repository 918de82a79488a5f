"""`python -m stripe_emulator --port 12111 --webhook-url URL --webhook-secret whsec_...`"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .emulator import StripeEmulator
from .objects import DEFAULT_API_VERSION


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stripe_emulator", description="A local Stripe emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument(
        "--webhook-url", default=None, help="where events are POSTed, e.g. http://127.0.0.1:8000/stripe/webhook/"
    )
    parser.add_argument("--webhook-secret", default="whsec_emulator", help="signs the Stripe-Signature header")
    parser.add_argument("--api-key", default=None, help="accept only this secret key (default: any sk_test_... key)")
    parser.add_argument("--public-url", default=None, help="base URL browsers use for the pay page, if not host:port")
    parser.add_argument("--api-version", default=DEFAULT_API_VERSION)
    parser.add_argument("--auto-settle-after", type=float, default=None, help="settle delayed payments after N seconds")
    parser.add_argument("--max-attempts", type=int, default=5, help="webhook delivery attempts per event")
    parser.add_argument("--retry-delay", type=float, default=1.0, help="first retry after N s, doubling each time")
    parser.add_argument(
        "--clock-offset", type=int, default=0, help="start the emulator's clock N seconds ahead of real time"
    )
    parser.add_argument(
        "--dunning-final-status",
        choices=("canceled", "unpaid"),
        default="canceled",
        help="what a subscription becomes when every retry of a renewal has failed",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every API answer waits this long, as Stripe's round trip does (not the hosted pages or webhooks)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no line per API call and webhook attempt")
    parser.add_argument("-v", "--verbose", action="store_true", help="also log every HTTP request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr
    )
    emulator = StripeEmulator(
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        public_url=args.public_url,
        api_version=args.api_version,
        auto_settle_after=args.auto_settle_after,
        log_requests=not args.quiet,
        max_attempts=args.max_attempts,
        retry_delay=args.retry_delay,
        clock_offset=args.clock_offset,
        dunning_final_status=args.dunning_final_status,
        latency=args.latency,
    )
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    emulator.start()
    print(f"Stripe emulator on {emulator.base_url} (webhooks to {args.webhook_url or 'nowhere'})", flush=True)
    stopped.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
