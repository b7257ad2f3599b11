"""A run killed at any point resumes to the same verified result, never duplicating a row."""

import hashlib
import io
import random
import time

import pytest
from django.core.management import call_command
from django.db import connections

from orders.resharding.backfill import move_backfill
from orders.resharding.moves import move_begin, target_parse
from routers.models import ShardMove, ShardMoveProgress
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
    time.sleep(rng.uniform(1.0, 2.0))
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


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"], transaction=True)
def test_batches_committed_on_the_target_but_not_checkpointed_are_copied_again_without_duplicates(legacy_layout):
    legacy_orders_insert(count=3000)
    move = move_begin(target=target_parse(value="0-511=shard_0,512-1023=shard_1"))
    ShardMove.objects.filter(pk=move.pk).update(state="backfilling", watermark_id=2**62)
    move_backfill(move=move, batch_size=400)
    # As if killed after the targets committed and before any checkpoint was written.
    ShardMoveProgress.objects.update(copied_id=0, orders_copied=0, lines_copied=0, finished=False)
    out = io.StringIO()

    call_command("migrate_to_shards", batch_size=400, stdout=out)

    shards = [orders_on("shard_0"), orders_on("shard_1")]
    assert "PASSED" in out.getvalue()
    assert len(shards[0]) + len(shards[1]) == len(shards[0] | shards[1]) == 3000
    assert contents_digest(["shard_0", "shard_1"]) == contents_digest(["default"])
