"""How long /readyz takes against the stack's servers, next to its 100 ms budget.

    UH_STACK_PORT_BASE=... python bench/readyz_latency.py [calls]

Runs against the test profile's stack (start it with `python -m devstack up --profile test`).
Prints the median and 95th percentile of whole requests through Django, and of each check.
"""

import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.test")

import django

django.setup()

from django.test import Client  # noqa: E402

BUDGET_MS = 100.0


def main(calls: int) -> None:
    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/readyz")  # warm: the first call builds the S3 client
    totals, per_check = [], defaultdict(list)
    for _ in range(calls):
        started = time.perf_counter()
        body = client.get("/readyz").json()
        totals.append((time.perf_counter() - started) * 1000)
        for name, check in body["checks"].items():
            per_check[name].append(check["elapsed_ms"])
    p95 = statistics.quantiles(totals, n=20)[-1]
    print(f"/readyz over {calls} calls: median {statistics.median(totals):.1f} ms, p95 {p95:.1f} ms")
    for name, times in per_check.items():
        print(f"  {name:<8} median {statistics.median(times):.1f} ms")
    print(f"ratio p95 / budget ({BUDGET_MS:.0f} ms): {p95 / BUDGET_MS:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
