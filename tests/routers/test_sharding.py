import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order
from orders.selectors import order_get
from routers.sharding import (
    N_LOGICAL,
    Layout,
    UnroutedOrderQuery,
    all_shards,
    map_parse,
    order_id_compose,
    order_id_logical_shard,
    order_id_time,
    order_slot_new,
    shard_for_customer,
    shard_for_order,
    shard_map,
    shard_map_check,
)
from tests.orders.factories import placed_order


@pytest.mark.django_db(databases=["default"])  # the layout of an unfinished move is read there
def test_100k_customers_spread_within_5_percent_of_even_over_the_shards():
    counts = Counter(shard_for_customer(customer_id) for customer_id in range(1, 100_001))
    even = 100_000 / len(all_shards())

    print("orders of 100,000 customers per shard:", dict(sorted(counts.items())))
    assert set(counts) == set(all_shards())
    assert all(abs(n - even) / even <= 0.05 for n in counts.values())


def test_an_order_id_names_its_logical_shard_and_time():
    placed = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
    ms = int((placed - dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1000)

    order_id = order_id_compose(milliseconds=ms, logical=777, sequence=4096 + 5)

    assert order_id < 2**63
    assert order_id_logical_shard(order_id) == 777
    assert order_id_time(order_id) == placed


@pytest.mark.django_db(databases=["default"])
def test_new_order_ids_are_unique_and_carry_the_customers_shard():
    with transaction.atomic():
        slots = [order_slot_new(customer_id=42) for _ in range(500)]

    ids = [order_id for _, order_id in slots]
    assert len(set(ids)) == 500
    assert {shard_for_order(order_id) for order_id in ids} == {shard_for_customer(42)}
    assert {alias for alias, _ in slots} == {shard_for_customer(42)}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0-511=shard_0,600-1023=shard_1", "goes wrong at 600-1023"),
        ("0-600=shard_0,512-1023=shard_1", "goes wrong at 512-1023"),
        ("0-511=shard_0", "leaves logical shards 512..1023 unmapped"),
        ("0-511=shard_0,512-1023=shard_9", "not a shard alias"),
        ("0-511:shard_0", "must read like"),
    ],
)
def test_a_shard_map_that_misses_or_doubles_logical_shards_is_refused(settings, value, problem):
    settings.SHARD_MAP = value

    with pytest.raises(ImproperlyConfigured, match=problem):
        shard_map()


@pytest.mark.django_db(databases=["default"])  # the layout of an unfinished move is read there
def test_a_shard_map_moves_ranges_of_logical_shards(settings):
    settings.SHARD_MAP = "0-99=shard_1,100-1023=shard_0"
    order_id = order_id_compose(milliseconds=1, logical=50, sequence=1)

    assert shard_for_order(order_id) == "shard_1"
    assert shard_for_order(order_id_compose(milliseconds=1, logical=N_LOGICAL - 1, sequence=1)) == "shard_0"


@pytest.mark.django_db(databases=["default"])  # the layout of an unfinished move is read there
def test_unsharded_orders_stay_on_the_primary_with_the_same_ids(settings):
    order_id = order_id_compose(milliseconds=1, logical=900, sequence=1)
    settings.ORDERS_SHARDED = False

    assert shard_for_customer(42) == "default"
    assert shard_for_order(order_id) == "default"
    assert all_shards() == ["default"]
    assert order_id_logical_shard(order_id) == 900


@pytest.mark.django_db(databases=["default"])
def test_an_order_query_without_a_shard_is_an_error():
    with pytest.raises(UnroutedOrderQuery):
        Order.objects.filter(id=1).first()


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_an_order_is_fetched_by_id_from_its_shard_with_one_query():
    order = placed_order()
    shard = shard_for_order(order.order_id)
    other = next(alias for alias in all_shards() if alias != shard)

    with CaptureQueriesContext(connections[shard]) as on_shard, CaptureQueriesContext(connections[other]) as elsewhere:
        found = order_get(order_id=order.order_id)

    assert found.reference == order.reference
    assert len(on_shard.captured_queries) == 1
    assert elsewhere.captured_queries == []
    assert found.placed_at <= timezone.now()


def test_manage_py_check_reports_a_broken_shard_map(settings):
    settings.SHARD_MAP = "0-1000=shard_0"

    [error] = shard_map_check()

    assert error.id == "routers.E001"
    assert "1001..1023 unmapped" in error.msg


def test_during_a_move_reads_look_in_the_target_then_the_source_and_writes_follow_the_state():
    source, target = map_parse("0-511=shard_0,512-1023=shard_1"), map_parse("0-1023=shard_0")

    preparing = Layout(settled=source, target=target, state="preparing")
    backfilling = Layout(settled=source, target=target, state="backfilling")
    cutting_over = Layout(settled=source, target=target, state="cutting_over")

    assert (preparing.write_alias(900), preparing.read_aliases(900)) == ("shard_1", ["shard_0", "shard_1"])
    assert (backfilling.write_alias(900), backfilling.read_aliases(900)) == ("shard_0", ["shard_0", "shard_1"])
    assert (cutting_over.write_alias(900), cutting_over.read_aliases(900)) == ("shard_0", ["shard_0"])
    assert backfilling.read_aliases(5) == ["shard_0"]
