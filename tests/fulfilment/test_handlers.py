"""Stock changes reach the farms' warehouses through the outbox, the relay and the inventory-sync
consumer (real broker, a local fake warehouse)."""

import uuid

import pytest
from django.conf import settings
from django.db import connections
from kafka import KafkaProducer

from events.clients import event_headers, event_value
from events.models import ProcessedEvent
from fulfilment.models import WarehouseEndpoint
from marketplace.services import product_stock_adjust
from outbox.models import ORDER_EVENTS_TOPIC, OutboxEvent
from tests.eventstack import groups_skip_history, order_placed_payload, wait_for
from tests.marketplace.factories import FarmerFactory
from tests.orders.factories import ProductFactory

ALL = ["default", "replica", "shard_0", "shard_1"]


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_stock_adjustment_in_the_admin_is_pushed_to_the_farms_warehouse_once(processes, fake_http):
    farmer = FarmerFactory()
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


def primary_transactions_left_open() -> list[str]:
    """The last statement of every other connection to the primary that sits idle in a transaction."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
            )
            return [query for (query,) in cursor.fetchall()]
    finally:
        connections["default"].close()


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_the_consumer_holds_no_transaction_open_on_the_primary_while_the_warehouse_answers(processes, fake_http):
    farmer = FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    fake_http.observe = primary_transactions_left_open
    groups_skip_history(["inventory-sync"])
    processes("consume_inventory_sync")

    # Published straight to the topic: no relay, so the consumer is the only other client of the primary.
    event_id = str(uuid.uuid4())
    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    headers = event_headers(event_id=event_id, event_type="order_placed", extra={})
    value = event_value(order_placed_payload(farmers=[farmer]))
    producer.send(ORDER_EVENTS_TOPIC, value=value, headers=headers).get(timeout=10)
    producer.close()
    wait_for(
        lambda: ProcessedEvent.objects.filter(group="inventory-sync", event_id=event_id).exists(),
        timeout=60,
        what="inventory-sync to handle the order",
    )

    [request] = fake_http.requests
    assert request["headers"]["Idempotency-Key"] == f"{event_id}:{farmer.id}"
    assert request["observed"] == []
