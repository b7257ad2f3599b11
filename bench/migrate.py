"""Migration throughput: `migrate_to_shards` moving legacy orders (3 lines each) from the primary into
two shards, beside a plain PostgreSQL COPY of the same rows between the same servers, in the same run.

Judged by: migrate_to_shards rows/s >= 0.5 x the plain COPY's rows/s (rows = orders + lines).

    UH_STACK_PORT_BASE=28500 .venv/bin/python bench/migrate.py --orders 1000000

It runs on a throwaway stack of its own (the test profile's settings, data in .stack/bench-migrate),
started fresh and stopped at the end. The plain COPY is `COPY (SELECT ...) TO STDOUT` on the primary
piped (psycopg2 copy_expert through an os.pipe, writer in a thread) into `COPY ... FROM STDIN` on
the shard, into tables shaped like the real ones (same columns and indexes; `LIKE` copies no foreign
key, so COPY checks no line against its order, and the migration skips those checks too where its
role may: orders/resharding/backfill.py), one logical-shard range per shard. It runs before and
after the migration; the faster of the two is the yardstick. The migration's rate counts its copy
phase (batches, staging, ON CONFLICT inserts, checkpoints), whose time per step is printed too; its
waits for the layout to settle and its verification are printed separately.
"""

import argparse
import io
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("UH_STACK_DIR", str(ROOT / ".stack" / "bench-migrate"))
os.environ["DJANGO_SETTINGS_MODULE"] = "urbanharvest.settings.test"
os.environ["ORDERS_SHARDED"] = "false"

import django  # noqa: E402

from devstack import config, stack  # noqa: E402

RANGES = (("shard_0", 0, 511), ("shard_1", 512, 1023))


def plain_copy() -> tuple[int, float]:
    """COPY the legacy rows from the primary into look-alike tables on the shards; (rows, seconds)."""
    from django.db import connections

    from orders.resharding.sql import LINE_COLUMNS, LOGICAL, ORDER_COLUMNS

    rows, started = 0, time.monotonic()
    for alias, first, last in RANGES:
        with connections[alias].cursor() as cursor:
            for table in ("orders_order", "orders_orderline"):
                cursor.execute(f"DROP TABLE IF EXISTS bench_{table}")
                cursor.execute(f"CREATE TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        ids = f"SELECT id FROM orders_order WHERE {LOGICAL} BETWEEN {first} AND {last}"
        rows += _pipe(
            f"COPY (SELECT {ORDER_COLUMNS} FROM orders_order WHERE id IN ({ids})) TO STDOUT",
            alias,
            f"COPY bench_orders_order ({ORDER_COLUMNS}) FROM STDIN",
        )
        rows += _pipe(
            f"COPY (SELECT {LINE_COLUMNS} FROM orders_orderline WHERE order_id IN ({ids})) TO STDOUT",
            alias,
            f"COPY bench_orders_orderline ({LINE_COLUMNS}) FROM STDIN",
        )
    seconds = time.monotonic() - started
    for alias, _, _ in RANGES:
        with connections[alias].cursor() as cursor:
            cursor.execute("DROP TABLE bench_orders_orderline, bench_orders_order")
    return rows, seconds


def _pipe(copy_out: str, alias: str, copy_in: str) -> int:
    from django.db import connections, transaction

    read_fd, write_fd = os.pipe()

    def produce() -> None:
        with os.fdopen(write_fd, "wb") as sink, connections["default"].cursor() as cursor:
            cursor.copy_expert(copy_out, sink)
        connections["default"].close()

    producer = threading.Thread(target=produce)
    producer.start()
    with os.fdopen(read_fd, "rb") as source, transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.copy_expert(copy_in, source)
        count = cursor.rowcount
    producer.join()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=20000)
    args = parser.parse_args()
    if "UH_STACK_PORT_BASE" not in os.environ:
        sys.exit("set UH_STACK_PORT_BASE to a free port range: the bench starts a stack of its own there")

    profile = config.profile("test")
    stack.up(profile, fresh=True, quiet=True)
    try:
        django.setup()
        from django.core.management import call_command

        from orders.resharding.service import move_run
        from tests.orders.legacy_orders import legacy_orders_insert

        call_command("migrate_all", verbosity=0)
        started = time.monotonic()
        legacy_orders_insert(count=args.orders, event_every=0)
        from django.db import connections

        with connections["default"].cursor() as cursor:
            cursor.execute("VACUUM ANALYZE orders_order, orders_orderline")  # as after any bulk load
        print(
            f"{args.orders:,} legacy orders of 3 lines made in {time.monotonic() - started:.1f}s"
            f" ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})"
        )
        copy_rows, copy_before = plain_copy()
        started = time.monotonic()
        _, report, verification = move_run(
            target_map="0-511=shard_0,512-1023=shard_1",
            batch_size=args.batch_size,
            on_batch=lambda r: None,
            say=lambda line: None,
        )
        total = time.monotonic() - started
        _, copy_after = plain_copy()
        out = io.StringIO()
        started = time.monotonic()
        call_command("migrate_to_shards", cutover=True, batch_size=args.batch_size, stdout=out)
        cutover = time.monotonic() - started

        rows = report.orders + report.lines
        copy_rate = copy_rows / min(copy_before, copy_after)
        rate = rows / report.seconds
        print(
            f"plain COPY:        {copy_rows:>10,} rows in {copy_before:.1f}s / {copy_after:.1f}s (before / after)"
            f" -> {copy_rate:>9,.0f} rows/s (the faster)"
        )
        print(
            f"migrate_to_shards: {rows:>10,} rows in {report.seconds:.1f}s copying -> {rate:>9,.0f} rows/s"
            f"  (whole run {total:.1f}s incl. layout settle wait and verify:"
            f" {'PASSED' if verification.passed else 'FAILED'})"
        )
        print(
            f"  its copy phase: reading {report.reading:.1f}s (in a thread of its own, beside the writing),"
            f" waiting for reads {report.read_waits:.1f}s, writing {report.writing:.1f}s,"
            f" checkpoints {report.checkpointing:.1f}s"
        )
        print(f"cut-over (re-verify, delete {report.orders:,} orders from the primary): {cutover:.1f}s")
        print(
            f"ratio {rate / copy_rate:.2f} (target >= 0.5) {'ok' if rate >= 0.5 * copy_rate else 'short'};"
            f" load average at the end {os.getloadavg()[0]:.1f}"
        )
    finally:
        stack.down(profile, quiet=True)


if __name__ == "__main__":
    main()
