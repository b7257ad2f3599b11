"""What the ops page reads, against the real databases and broker."""

import logging
import time
import uuid

import pytest
from django.db import transaction
from kafka import KafkaProducer
from kafka.errors import KafkaError

from events.clients import consumer_build, topics_ensure
from ops import selectors
from ops.health import DASHBOARD_DEADLINE_S
from outbox.services import outbox_record
from tests.eventstack import wait_for
from tests.orders.factories import customer_on, placed_order
from urbanharvest import telemetry


def backlog_of(alias: str) -> int:
    return next(b.unpublished for b in selectors.outbox_backlog_list() if b.alias == alias)


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_the_outbox_backlog_counts_unpublished_events_per_database():
    before = backlog_of("shard_1")

    with transaction.atomic(using="shard_1"):
        for key in ("1", "2"):
            outbox_record(using="shard_1", event_type="order_placed", key=key, payload={})

    assert backlog_of("shard_1") == before + 2


def test_consumer_lag_counts_the_messages_a_group_has_not_committed(settings):
    topic, group = f"lag-{uuid.uuid4().hex}", f"group-{uuid.uuid4().hex}"
    settings.KAFKA_TOPIC_PARTITIONS, settings.KAFKA_MAX_POLL_RECORDS = 1, 2
    topics_ensure((topic,))
    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    for number in range(5):
        producer.send(topic, str(number).encode())
    producer.flush()
    producer.close()
    consumer = consumer_build(group=group, topics=(topic,))
    wait_for(lambda: consumer.poll(timeout_ms=200), timeout=30, what="the group's first two messages")
    consumer.commit()
    consumer.close()

    lag = {g.group: g.lag for g in selectors.consumer_lag_list(timeout_s=DASHBOARD_DEADLINE_S)}

    assert lag[group] == 3


def test_consumer_lag_from_a_broker_that_stopped_answering_gives_up_at_the_deadline(paused_server):
    paused_server("broker", seconds=10)
    started = time.monotonic()

    with pytest.raises(KafkaError):
        selectors.consumer_lag_list(timeout_s=0.5)

    # kafka-python's own default would have waited 30 s to connect.
    assert time.monotonic() - started < 2


@pytest.mark.django_db(transaction=True)
def test_an_error_logged_anywhere_lands_in_the_recent_errors_with_its_trace():
    refusal = f"mail server refused message {uuid.uuid4().hex}"
    with telemetry.tracer.start_as_current_span("handle order_placed") as span:
        logging.getLogger("notifications").error(refusal)

    (error,) = [e for e in selectors.recent_error_list() if refusal in e.message]
    assert error.logger == "notifications"
    assert error.trace_id == format(span.get_span_context().trace_id, "032x")


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_orders_are_counted_on_the_shard_that_holds_them():
    customer = customer_on("shard_1")
    before = {c.alias: c.orders for c in selectors.order_count_list()}

    placed_order(customer=customer)

    after = {c.alias: c.orders for c in selectors.order_count_list()}
    assert after == {**before, "shard_1": before["shard_1"] + 1}
