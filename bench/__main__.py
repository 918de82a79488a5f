"""`make bench`: every benchmark, one after the other, each printing its own figures.

Each measures the thing beside a baseline taken in the same run (a trivial view on the
same server, a plain smtplib loop to the same sink, the same pass over a small table),
so the ratios, not the absolute rates, are what to compare between machines.
"""

import subprocess
import sys

BENCHMARKS = [
    "bench.shop_webhooks",
    "bench.shop_checkout",
    "bench.programs_dispatch",
    "bench.programs_smtp",
    "bench.programs_new_step",
    "bench.content_pages",
]


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module} ===", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
