"""Adding a shard server: the same machinery moves only the logical shards the new map gives it."""

import io
import itertools

from django.core.management import call_command

from routers.sharding import logical_shard_for_customer, order_id_logical_shard, shard_for_order
from tests.orders.factories import CustomerFactory, ProductFactory
from tests.orders.legacy_orders import legacy_orders_insert
from tests.orders.resharding.conftest import orders_on
from tests.orders.resharding.shoppers import Shoppers

THREE_SHARDS = "0-511=shard_0,512-682=shard_1,683-1023=shard_2"


def customer_in(first: int, last: int):
    """A customer whose orders hash onto logical shards first..last."""
    customers = (CustomerFactory() for _ in itertools.count())
    return next(c for c in customers if first <= logical_shard_for_customer(c.id) <= last)


def test_rebalancing_from_two_to_three_shards_moves_logical_shards_683_up_online(third_shard):
    legacy_orders_insert(count=9000, place=lambda logical: "shard_0" if logical < 512 else "shard_1")
    product = ProductFactory(stock=1_000_000)
    customers = [customer_in(0, 511), customer_in(512, 682), customer_in(683, 1023)]
    out = io.StringIO()

    with Shoppers(customers=customers, product_id=product.id) as shoppers:
        call_command("migrate_to_shards", to=THREE_SHARDS, batch_size=1000, stdout=out)
        call_command("migrate_to_shards", cutover=True, batch_size=1000, stdout=out)

    on = {alias: orders_on(alias) for alias in ("shard_0", "shard_1", "shard_2")}
    logicals = {alias: {order_id_logical_shard(order_id) for order_id in ids} for alias, ids in on.items()}
    print(out.getvalue(), {alias: len(ids) for alias, ids in on.items()}, len(shoppers.placed), "placed")
    assert shoppers.failures == []
    assert "PASSED" in out.getvalue()
    assert (max(logicals["shard_0"]), min(logicals["shard_1"]), max(logicals["shard_1"])) <= (511, 512, 682)
    assert min(logicals["shard_2"]) >= 683
    assert sum(len(ids) for ids in on.values()) == len(set().union(*on.values())) == 9000 + len(shoppers.placed)
    assert all(order_id in on[shard_for_order(order_id)] for order_id in shoppers.placed)
