"""A farmer's stock adjustment reaches the farm's warehouse through the outbox, the relay and the
inventory-sync consumer (real broker, a local fake warehouse)."""

import pytest

from events.models import ProcessedEvent
from fulfilment.models import WarehouseEndpoint
from marketplace.services import product_stock_adjust
from outbox.models import OutboxEvent
from tests.eventstack import farmer_create, groups_skip_history, wait_for
from tests.orders.factories import ProductFactory


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_a_stock_adjustment_in_the_admin_is_pushed_to_the_farms_warehouse_once(processes, fake_http):
    farmer = farmer_create()
    product = ProductFactory(farmer=farmer, stock=5)
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    groups_skip_history(["inventory-sync"])
    processes("relay_outbox")
    processes("consume_inventory_sync")

    product_stock_adjust(product_id=product.id, by=10)

    [event] = OutboxEvent.objects.using("default").filter(key=f"product:{product.id}")
    wait_for(
        lambda: ProcessedEvent.objects.filter(group="inventory-sync", event_id=str(event.id)).exists(),
        timeout=60,
        what="inventory-sync to handle the adjustment",
    )
    [request] = fake_http.requests
    assert request["body"]["reason"] == "stock_changed"
    assert request["body"]["changes"] == [
        {
            "product_id": product.id,
            "name": product.name,
            "unit": product.unit,
            "quantity_delta": 10,
            "stock": 15,
        }
    ]
