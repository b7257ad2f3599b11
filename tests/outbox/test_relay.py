"""The relay against the real broker and databases: what it publishes, and that several relays at
once publish each event once."""

import json

import pytest
from django.db import transaction

from events.clients import headers_decode, producer_build, topics_ensure
from outbox.models import OutboxEvent
from outbox.relay import outbox_publish_batch
from outbox.services import outbox_record
from routers.placement import Placement, aliases_for
from tests.eventstack import (
    TopicReader,
    order_placed_payload,
    order_placed_record,
    unpublished_count,
    wait_for,
)
from tests.marketplace.factories import FarmerFactory

ALL = ["default", "replica", "shard_0", "shard_1"]
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def producer():
    topics_ensure()
    producer = producer_build()
    yield producer
    producer.close(timeout=5)


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_an_event_is_published_keyed_by_order_with_its_headers_then_marked_published(producer):
    payload = order_placed_payload(farmers=[FarmerFactory()])
    event = order_placed_record(payload=payload, using="shard_1", headers={"traceparent": TRACEPARENT})
    reader = TopicReader()

    published = outbox_publish_batch(using="shard_1", producer=producer, batch_size=100)

    records = reader.read_until(lambda rs: any(headers_decode(r).get("event-id") == str(event.id) for r in rs))
    reader.close()
    [record] = [r for r in records if headers_decode(r).get("event-id") == str(event.id)]
    assert published == 1
    assert record.key == str(payload["order_id"]).encode()
    names = [name for name, _ in record.headers]
    assert names == ["event-id", "event-type", "traceparent"]
    assert headers_decode(record)["event-id"] == str(event.id)
    # The trace the event was recorded in continues, under the relay's producer span.
    assert headers_decode(record)["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
    assert headers_decode(record)["traceparent"] != TRACEPARENT
    assert OutboxEvent.objects.using("shard_1").get(id=event.id).published_at is not None


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_several_relays_at_once_publish_each_event_exactly_once(processes):
    farmer = FarmerFactory()
    aliases = aliases_for(Placement.ORDER_SHARDS)
    events = [
        order_placed_record(payload=order_placed_payload(farmers=[farmer]), using=aliases[i % 3]) for i in range(300)
    ]
    wanted = {str(event.id) for event in events}
    reader = TopicReader()

    relays = [processes("relay_outbox", "--batch-size", "20") for _ in range(3)]
    wait_for(lambda: unpublished_count(aliases) == 0, timeout=60, what="the outbox to drain")

    records = reader.read_until(lambda rs: wanted <= {headers_decode(r)["event-id"] for r in rs}, timeout=30)
    reader.close()
    ours = [headers_decode(r)["event-id"] for r in records if headers_decode(r)["event-id"] in wanted]
    assert sorted(ours) == sorted(wanted)
    # A relay stopped before it has set up its signal handlers dies of the signal, which is fine but
    # not what this checks: each one, once running, stops cleanly.
    for relay in relays:
        wait_for(lambda relay=relay: "relay: publishing from" in relay.output(), timeout=30, what="each relay to run")
    assert [relay.terminate() for relay in relays] == [0, 0, 0]


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_one_relay_keeps_each_orders_events_in_order_across_the_batches_it_has_in_flight(processes):
    orders = [str(order_id) for order_id in range(9_000_001, 9_000_006)]
    for step in range(40):
        for key in orders:
            with transaction.atomic(using="shard_0"):
                outbox_record(using="shard_0", event_type="order_step", key=key, payload={"step": step})
    reader = TopicReader()

    processes("relay_outbox", "--batch-size", "7")
    wait_for(lambda: unpublished_count(["shard_0"]) == 0, timeout=60, what="the outbox to drain")

    records = reader.read_until(lambda rs: sum(r.key.decode() in orders for r in rs) >= 200, timeout=30)
    reader.close()
    steps: dict[str, list[int]] = {key: [] for key in orders}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        if record.key.decode() in steps:
            steps[record.key.decode()].append(json.loads(record.value)["step"])
    assert steps == {key: list(range(40)) for key in orders}
