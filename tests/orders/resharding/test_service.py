"""The must-show: legacy orders move into the shards while shoppers keep checking out."""

import io
import os

import pytest
from django.core.management import call_command

from orders.selectors import order_history
from routers.models import ShardMove
from routers.sharding import shard_for_order
from tests.orders.factories import CustomerFactory, ProductFactory
from tests.orders.legacy_orders import legacy_orders_insert
from tests.orders.resharding.conftest import orders_on
from tests.orders.resharding.shoppers import Shoppers

# The 200,000 runs in about a minute here; CI keeps the suite lean (see README).
LEGACY_ORDERS = int(os.environ.get("UH_MIGRATE_TEST_ORDERS", "20000"))


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"], transaction=True)
def test_legacy_orders_move_to_the_shards_while_shoppers_check_out_the_whole_time(legacy_layout):
    legacy_orders_insert(count=LEGACY_ORDERS)
    product = ProductFactory(stock=1_000_000)
    customers = [CustomerFactory() for _ in range(3)]
    with Shoppers(customers=customers, product_id=product.id, rounds=2) as before:
        pass
    out = io.StringIO()

    with Shoppers(customers=customers, product_id=product.id, earlier=before.placed) as during:
        call_command("migrate_to_shards", batch_size=2000, stdout=out)
        call_command("migrate_to_shards", cutover=True, batch_size=2000, stdout=out)

    placed = during.placed
    on_shards = {alias: orders_on(alias) for alias in ("shard_0", "shard_1")}
    print(out.getvalue(), f"{len(placed) - len(before.placed)} orders placed during the move")
    assert (before.failures, during.failures) == ([], [])
    assert len(placed) > len(before.placed) + 10
    assert orders_on("default") == set()
    assert not on_shards["shard_0"] & on_shards["shard_1"]
    assert len(on_shards["shard_0"]) + len(on_shards["shard_1"]) == LEGACY_ORDERS + len(placed)
    assert all(order_id in on_shards[shard_for_order(order_id)] for order_id in placed)
    assert "PASSED" in out.getvalue()
    assert ShardMove.objects.get().state == "done"
    assert {o.id for c in customers for o in order_history(customer=c)} == set(placed)
