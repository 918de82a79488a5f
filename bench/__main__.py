"""`make bench`: every benchmark, one after the other, each printing its own figures.

Each measures the thing beside a baseline taken in the same run (a trivial view on the
same server, a plain smtplib loop to the same sink, the same pass over a small table),
so the ratios, not the absolute rates, are what to compare between machines.
"""

import subprocess
import sys

BENCHMARKS = [
    "bench.shop_webhooks",
    # 2,000 of the renewal storm's events keep `make bench` within ten minutes on two cores; 10,000 members, as
    # the module's defaults (`python -m bench.billing_renewals` sends 10,000 events).
    "bench.billing_renewals --events 2000",
    "bench.shop_checkout",
    "bench.programs_dispatch",
    "bench.programs_smtp",
    "bench.programs_new_step",
    "bench.programs_report",
    "bench.content_pages",
    "bench.programs_clicks",
    "bench.launch_storm",
]


def main() -> int:
    failed = []
    for benchmark in BENCHMARKS:
        print(f"\n=== {benchmark} ===", flush=True)
        if subprocess.run([sys.executable, "-m", *benchmark.split()], check=False).returncode != 0:
            failed.append(benchmark)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
