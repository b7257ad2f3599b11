"""What tracing costs a query: the same Django query traced (psycopg2 span + database alias) and
with instrumentation suppressed, interleaved in one run.

    UH_STACK_PORT_BASE=... python bench/tracing_overhead.py [queries]

Spans go through the batch processor to an exporter that drops them, so the figure is the
in-process cost (instrumentation + SDK), not the network's.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "urbanharvest.settings.test")

from urbanharvest import telemetry

telemetry.instrument()

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from opentelemetry.instrumentation.utils import suppress_instrumentation  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402


class Discard(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS


def one_query_us() -> float:
    started = time.perf_counter()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return (time.perf_counter() - started) * 1e6


def main(queries: int) -> None:
    telemetry.configure(service_name="bench", processor=BatchSpanProcessor(Discard()))
    traced, untraced = [], []
    for _ in range(queries):
        traced.append(one_query_us())
        with suppress_instrumentation():
            untraced.append(one_query_us())
    t, u = statistics.median(traced), statistics.median(untraced)
    print(f"SELECT 1 on the primary, {queries} each, interleaved:")
    print(f"  traced     median {t:.0f} us")
    print(f"  untraced   median {u:.0f} us")
    print(f"ratio traced / untraced: {t / u:.2f} (+{t - u:.0f} us per query)")
    telemetry.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
