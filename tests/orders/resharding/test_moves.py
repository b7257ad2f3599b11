"""Clear refusals that change nothing: a bad map, a shard down, a run in progress, a changed source."""

import io

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from orders.resharding.backfill import move_backfill
from orders.resharding.moves import RUN_LOCK, move_begin, target_parse
from routers.models import ShardMove
from tests.orders.legacy_orders import legacy_orders_insert
from tests.orders.resharding.conftest import orders_on

DATABASES = ["default", "shard_0", "shard_1"]


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_dry_run_prints_the_plan_per_target_shard_and_writes_nothing(legacy_layout):
    legacy_orders_insert(count=2000)
    out = io.StringIO()

    call_command("migrate_to_shards", dry_run=True, stdout=out)

    assert "default -> shard_0:" in out.getvalue() and "default -> shard_1:" in out.getvalue()
    assert "estimated copy time" in out.getvalue()
    assert ShardMove.objects.count() == 0
    assert (len(orders_on("default")), orders_on("shard_0"), orders_on("shard_1")) == (2000, set(), set())


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.parametrize(
    ("target", "problem"),
    [("0-511=shard_0", "leaves logical shards 512..1023 unmapped"), ("0-600=shard_0,512-1023=shard_1", "goes wrong")],
)
def test_a_target_map_leaving_logical_shards_unassigned_is_refused(legacy_layout, target, problem):
    with pytest.raises(CommandError, match=problem):
        call_command("migrate_to_shards", to=target, stdout=io.StringIO())

    assert ShardMove.objects.count() == 0


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_an_unreachable_shard_is_named_and_no_move_starts(legacy_layout, shard_0_stopped):
    with pytest.raises(CommandError, match=r"shard_0 \(127.0.0.1:\d+\) is unreachable"):
        call_command("migrate_to_shards", stdout=io.StringIO())

    assert ShardMove.objects.count() == 0


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_a_second_run_is_refused_while_one_holds_the_lock(legacy_layout):
    other = psycopg2.connect(**connections["default"].get_connection_params())
    other.cursor().execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK])

    with pytest.raises(CommandError, match="another migrate_to_shards run is in progress"):
        call_command("migrate_to_shards", stdout=io.StringIO())

    other.close()
    assert ShardMove.objects.count() == 0


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_a_source_changed_under_a_checkpoint_stops_the_resumed_run(legacy_layout):
    legacy_orders_insert(count=3000)
    move = move_begin(target=target_parse(value="0-511=shard_0,512-1023=shard_1"))
    move.state, move.watermark_id = "backfilling", 2**62
    move.save()

    def killed(report):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        move_backfill(move=move, batch_size=500, on_batch=killed)
    with connections["default"].cursor() as cursor:
        cursor.execute("DELETE FROM orders_orderline; DELETE FROM outbox_outboxevent; DELETE FROM orders_order")

    with pytest.raises(CommandError, match="default changed under the checkpoint of logical shards 0-511"):
        call_command("migrate_to_shards", stdout=io.StringIO())


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_cutover_is_refused_when_the_source_no_longer_matches_what_was_verified(legacy_layout):
    legacy_orders_insert(count=1000)
    call_command("migrate_to_shards", stdout=io.StringIO())
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE orders_order SET total = total + 1 WHERE id = (SELECT min(id) FROM orders_order)")

    with pytest.raises(CommandError, match="no longer verifies"):
        call_command("migrate_to_shards", cutover=True, stdout=io.StringIO())

    assert len(orders_on("default")) == 1000
    assert ShardMove.objects.get().state == "backfilling"


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_a_rerun_copies_logical_shards_that_changed_again_and_then_verifies(legacy_layout):
    legacy_orders_insert(count=1000)
    call_command("migrate_to_shards", stdout=io.StringIO())
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE orders_order SET total = total + 1 WHERE id = (SELECT min(id) FROM orders_order)")
    out = io.StringIO()

    call_command("migrate_to_shards", stdout=out)
    call_command("migrate_to_shards", cutover=True, stdout=out)

    assert "1 logical shards differ; copying them again" in out.getvalue()
    assert "PASSED" in out.getvalue()
    assert orders_on("default") == set()
    assert ShardMove.objects.get().state == "done"
