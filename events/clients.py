"""Kafka clients built from settings, and the topics the events flow through.

The local broker keeps topics in memory and auto-creates a missing one with its own defaults, so
every producer and consumer creates its topics explicitly when it (re)connects.
"""

import contextlib
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError

from outbox.models import ORDER_EVENTS_TOPIC

logger = logging.getLogger(__name__)

DEAD_LETTER_TOPIC = f"{ORDER_EVENTS_TOPIC}.dead_letter"
EVENT_TOPICS = (ORDER_EVENTS_TOPIC, DEAD_LETTER_TOPIC)

# Header names shared by the relay (which writes them) and the consumers (which read them).
EVENT_ID_HEADER = "event-id"
EVENT_TYPE_HEADER = "event-type"


@dataclass(frozen=True)
class Event:
    """One event as a consumer's handler sees it."""

    id: str
    type: str
    key: str
    payload: dict
    headers: dict[str, str]


def topics_ensure(topics: tuple[str, ...] = EVENT_TOPICS) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, request_timeout_ms=settings.KAFKA_REQUEST_TIMEOUT_MS
    )
    try:
        existing = set(admin.list_topics())
        missing = [topic for topic in topics if topic not in existing]
        for topic in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            topic,
                            num_partitions=settings.KAFKA_TOPIC_PARTITIONS,
                            replication_factor=settings.KAFKA_REPLICATION_FACTOR,
                        )
                    ]
                )
            except TopicAlreadyExistsError:
                logger.info("topic %s was created meanwhile by another process", topic)
        return missing
    finally:
        admin.close()


def producer_build() -> KafkaProducer:
    """A producer that loses nothing it acknowledged: every in-sync replica has it (acks=all) and a
    retried send is never written twice (idempotence)."""
    return KafkaProducer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        acks="all",
        enable_idempotence=True,
        linger_ms=settings.KAFKA_LINGER_MS,
        compression_type=settings.KAFKA_COMPRESSION_TYPE,
        max_block_ms=settings.KAFKA_REQUEST_TIMEOUT_MS,
        request_timeout_ms=settings.KAFKA_REQUEST_TIMEOUT_MS,
        delivery_timeout_ms=settings.KAFKA_REQUEST_TIMEOUT_MS * 2,
        reconnect_backoff_max_ms=settings.KAFKA_RECONNECT_BACKOFF_MAX_MS,
    )


def producer_discard(producer: KafkaProducer) -> None:
    """Close a producer, abandoning what it could not deliver (the outbox still has it).

    kafka-python's `close` raises instead of giving up on pending records, and leaves its sender
    thread retrying them; that thread is stopped by force here so an abandoned producer stays quiet.
    """
    try:
        producer.close(timeout=1)
    except KafkaTimeoutError:
        producer._sender.force_close()
        producer._sender.join(1)
        with contextlib.suppress(KafkaError):
            producer.close(timeout=0)


def consumer_build(*, group: str, topics: tuple[str, ...]) -> KafkaConsumer:
    """A group member that commits by hand, after its handler's effect is durable."""
    return KafkaConsumer(
        *topics,
        group_id=group,
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.KAFKA_SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=settings.KAFKA_HEARTBEAT_INTERVAL_MS,
        fetch_max_wait_ms=settings.KAFKA_FETCH_MAX_WAIT_MS,
        request_timeout_ms=max(settings.KAFKA_REQUEST_TIMEOUT_MS, settings.KAFKA_SESSION_TIMEOUT_MS + 1000),
        reconnect_backoff_max_ms=settings.KAFKA_RECONNECT_BACKOFF_MAX_MS,
        max_poll_records=settings.KAFKA_MAX_POLL_RECORDS,
    )


def event_headers(*, event_id: str, event_type: str, extra: dict[str, str]) -> list[tuple[str, bytes]]:
    """Message headers as a list (the OpenTelemetry kafka instrumentation appends to it)."""
    headers = [(EVENT_ID_HEADER, event_id.encode()), (EVENT_TYPE_HEADER, event_type.encode())]
    headers += [(name, str(value).encode()) for name, value in extra.items()]
    return headers


def headers_decode(record: ConsumerRecord) -> dict[str, str]:
    """A message's headers by name, as text (bytes that are not UTF-8 replaced, not fatal). Where a
    name repeats, the first wins."""
    headers: dict[str, str] = {}
    for name, value in record.headers or []:
        headers.setdefault(name, (value or b"").decode("utf-8", "replace"))
    return headers


def event_value(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
