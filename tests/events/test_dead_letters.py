"""Poison messages go to the dead-letter topic with their reason while their partition keeps
flowing, and an operator lists and replays them with `manage.py dead_letters`."""

import io
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from kafka import KafkaProducer

from events.clients import DEAD_LETTER_TOPIC, event_headers, event_value, headers_decode, topics_ensure
from fulfilment.models import DeliveryManifest, WarehouseEndpoint
from marketplace.models import Farmer
from outbox.models import ORDER_EVENTS_TOPIC
from tests.eventstack import (
    TopicReader,
    groups_skip_history,
    mail_to,
    order_placed_payload,
    order_placed_record,
    wait_for,
)
from tests.marketplace.factories import FarmerFactory

ALL = ["default", "replica", "shard_0", "shard_1"]


def dead_letter_for(reader: TopicReader, event_id: str, timeout: float = 60):
    def found(records):
        return [r for r in records if headers_decode(r).get("event-id") == event_id]

    [record] = wait_for(lambda: found(reader.read_until(found, timeout=0.5)), timeout=timeout, what="the dead letter")
    return record


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_malformed_message_is_dead_lettered_with_its_reason_and_the_next_one_is_handled(test_stack, processes):
    topics_ensure()
    groups_skip_history(["notifications"])
    dead_letters = TopicReader(DEAD_LETTER_TOPIC)
    processes("consume_notifications")
    payload = order_placed_payload(farmers=[FarmerFactory()])
    key, poison_id = str(payload["order_id"]).encode(), str(uuid.uuid4())

    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    poison_headers = event_headers(event_id=poison_id, event_type="order_placed", extra={})
    producer.send(ORDER_EVENTS_TOPIC, key=key, value=b"{not json", headers=poison_headers)
    good_headers = event_headers(event_id=str(uuid.uuid4()), event_type="order_placed", extra={})
    producer.send(ORDER_EVENTS_TOPIC, key=key, value=event_value(payload), headers=good_headers).get(timeout=10)
    producer.close()

    letter = headers_decode(dead_letter_for(dead_letters, poison_id))
    wait_for(lambda: mail_to(test_stack.maildir, payload["email"]), timeout=30, what="the next order's email")
    dead_letters.close()
    assert letter["dead-letter-group"] == "notifications"
    assert letter["dead-letter-reason"].startswith("MalformedEvent: the value is not JSON")
    assert letter["dead-letter-source"].startswith(f"{ORDER_EVENTS_TOPIC}:")


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_message_that_keeps_failing_is_dead_lettered_after_the_last_attempt(processes, fake_http):
    farmer = FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    fake_http.responses = [503] * 1000
    topics_ensure()
    groups_skip_history(["inventory-sync"])
    dead_letters = TopicReader(DEAD_LETTER_TOPIC)
    processes("relay_outbox")
    processes("consume_inventory_sync")

    doomed = order_placed_record(payload=order_placed_payload(farmers=[farmer]))
    letter = headers_decode(dead_letter_for(dead_letters, str(doomed.id)))
    fake_http.responses = []
    after = order_placed_record(payload=order_placed_payload(farmers=[farmer]))
    wait_for(lambda: f"{after.id}:{farmer.id}" in fake_http.applied, timeout=30, what="the next push")

    dead_letters.close()
    doomed_key = f"{doomed.id}:{farmer.id}"
    assert letter["dead-letter-attempts"] == "5"
    assert letter["dead-letter-reason"].startswith("WarehouseUnavailable:")
    assert doomed_key not in fake_http.applied
    # One POST per attempt: the consumer's retries are the only ones.
    assert [r["headers"]["Idempotency-Key"] for r in fake_http.requests].count(doomed_key) == 5


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_warehouse_that_fails_for_a_while_gets_the_change_once_through_the_consumers_retries(processes, fake_http):
    farmer = FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    fake_http.responses = [503, 429]
    groups_skip_history(["inventory-sync"])
    processes("relay_outbox")
    processes("consume_inventory_sync")

    event = order_placed_record(payload=order_placed_payload(farmers=[farmer]))
    key = f"{event.id}:{farmer.id}"
    wait_for(lambda: key in fake_http.applied, timeout=60, what="the push to land")

    assert [r["status"] for r in fake_http.requests if r["headers"]["Idempotency-Key"] == key] == [503, 429, 200]


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_dead_letter_is_replayed_once_its_cause_is_fixed(processes):
    topics_ensure()
    groups_skip_history(["manifests"])
    dead_letters = TopicReader(DEAD_LETTER_TOPIC)
    processes("relay_outbox")
    processes("consume_manifests")
    farmer = FarmerFactory()
    payload = order_placed_payload(farmers=[farmer])
    farmer_id = farmer.id
    farmer.delete()  # an order naming a farm the catalog does not have (yet)
    event = order_placed_record(payload=payload)
    record = dead_letter_for(dead_letters, str(event.id))
    dead_letters.close()
    Farmer.objects.create(id=farmer_id, user=farmer.user, farm_name="Hillside", slug=farmer.slug, town="Springfield")

    out = io.StringIO()
    call_command("dead_letters", "--replay", "--position", f"{record.partition}:{record.offset}", stdout=out)
    again = io.StringIO()
    call_command("dead_letters", "--position", f"{record.partition}:{record.offset}", stdout=again)

    assert "UnknownFarmer" in out.getvalue()
    assert "replayed: handled" in out.getvalue()
    assert DeliveryManifest.objects.get(farmer_id=farmer_id).order_count == 1
    assert " replayed " in again.getvalue()
