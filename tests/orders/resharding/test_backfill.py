"""A run killed at any point resumes to the same verified result, never duplicating a row."""

import hashlib
import random
import time

import pytest
from django.db import connections

from routers.sharding import order_id_logical_shard
from tests.orders.legacy_orders import legacy_orders_insert
from tests.orders.resharding.command import command_run, command_start
from tests.orders.resharding.conftest import orders_on

LEGACY = {"ORDERS_SHARDED": "false"}


def contents_digest(aliases: list[str]) -> str:
    """Every order and line on these servers, as text, sorted: equal digests mean equal data."""
    rows: list[str] = []
    for alias in aliases:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT o::text FROM orders_order o")
            rows += [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT concat_ws('|', order_id, product_id, quantity, line_total) FROM orders_orderline")
            rows += [row[0] for row in cursor.fetchall()]
    return hashlib.md5("\n".join(sorted(rows)).encode()).hexdigest()


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"], transaction=True)
def test_sigkill_at_random_points_then_rerun_gives_the_same_verified_result(legacy_layout):
    legacy_orders_insert(count=30_000)
    before = contents_digest(["default"])
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    print("kill seed", seed)

    for delay in (rng.uniform(0.8, 2.0), rng.uniform(2.5, 4.0), rng.uniform(1.5, 2.5)):
        run = command_start("--batch-size", "500", env=LEGACY)
        time.sleep(delay)
        run.kill()
        print(f"killed after {delay:.1f}s:", run.communicate()[0].strip().splitlines()[-1:])
    code, output = command_run("--batch-size", "500", env=LEGACY)
    cutover = command_start("--cutover", "--batch-size", "500")
    time.sleep(rng.uniform(2.0, 3.0))
    cutover.kill()
    print("killed cutover:", cutover.communicate()[0].strip().splitlines()[-1:])
    cutover_code, cutover_output = command_run("--cutover", "--batch-size", "500")

    shards = {alias: orders_on(alias) for alias in ("shard_0", "shard_1")}
    assert (code, cutover_code) == (0, 0), output + cutover_output
    assert "PASSED" in output
    assert orders_on("default") == set()
    assert len(shards["shard_0"]) + len(shards["shard_1"]) == 30_000
    assert {order_id_logical_shard(i) < 512 for i in shards["shard_0"]} == {True}
    assert contents_digest(["shard_0", "shard_1"]) == before
