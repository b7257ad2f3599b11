"""The dead-letter topic: messages a consumer group gave up on, with the reason in their headers, and
how an operator lists and replays them once the cause is fixed."""

import time
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from events.clients import DEAD_LETTER_TOPIC, headers_decode, producer_build, producer_discard
from events.processing import MalformedEvent, consumer_handler, event_decode, event_process, event_processed

GROUP_HEADER = "dead-letter-group"
REASON_HEADER = "dead-letter-reason"
ATTEMPTS_HEADER = "dead-letter-attempts"
SOURCE_HEADER = "dead-letter-source"
DEAD_LETTER_HEADERS = {GROUP_HEADER, REASON_HEADER, ATTEMPTS_HEADER, SOURCE_HEADER}


class DeadLetterWriter:
    """Publishes a consumer group's given-up messages, synchronously: the consumer commits past a
    message only once its dead letter is acknowledged."""

    def __init__(self, *, group: str):
        self.group = group
        self._producer = producer_build()

    def send(self, record: ConsumerRecord, *, reason: str, attempts: int) -> None:
        headers = [(name, value) for name, value in record.headers or [] if name not in DEAD_LETTER_HEADERS]
        headers += [
            (GROUP_HEADER, self.group.encode()),
            (REASON_HEADER, reason.encode()[:2000]),
            (ATTEMPTS_HEADER, str(attempts).encode()),
            (SOURCE_HEADER, f"{record.topic}:{record.partition}:{record.offset}".encode()),
        ]
        future = self._producer.send(DEAD_LETTER_TOPIC, key=record.key, value=record.value, headers=headers)
        future.get(timeout=settings.KAFKA_REQUEST_TIMEOUT_MS / 1000)

    def close(self) -> None:
        producer_discard(self._producer)


@dataclass(frozen=True)
class DeadLetter:
    position: str  # "partition:offset" in the dead-letter topic
    group: str
    reason: str
    attempts: int
    source: str
    record: ConsumerRecord

    @property
    def headers(self) -> dict[str, str]:
        return headers_decode(self.record)


def dead_letters_read(*, group: str | None = None, idle_s: float = 1.5) -> list[DeadLetter]:
    """Every dead letter (of `group`, if given), oldest first per partition. Reads until the topic has
    been quiet for `idle_s` (end offsets are not reliable on every broker)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.KAFKA_FETCH_MAX_WAIT_MS,
    )
    try:
        numbers = consumer.partitions_for_topic(DEAD_LETTER_TOPIC) or set()
        partitions = [TopicPartition(DEAD_LETTER_TOPIC, number) for number in sorted(numbers)]
        if not partitions:
            return []
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord] = []
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle_s:
            batch = consumer.poll(timeout_ms=200)
            for partition_records in batch.values():
                records += partition_records
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    letters = [_dead_letter(record) for record in sorted(records, key=lambda r: (r.partition, r.offset))]
    return [letter for letter in letters if group is None or letter.group == group]


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    headers = headers_decode(record)
    return DeadLetter(
        position=f"{record.partition}:{record.offset}",
        group=headers.get(GROUP_HEADER, "?"),
        reason=headers.get(REASON_HEADER, ""),
        attempts=int(headers.get(ATTEMPTS_HEADER, "0") or 0),
        source=headers.get(SOURCE_HEADER, ""),
        record=record,
    )


def dead_letter_status(letter: DeadLetter) -> str:
    """'replayed' once its group has handled the event, 'pending' until then, 'unreplayable' when
    the message is not an event at all."""
    try:
        event = event_decode(letter.record)
    except MalformedEvent:
        return "unreplayable"
    return "replayed" if event_processed(group=letter.group, event_id=event.id) else "pending"


def dead_letter_replay(*, letter: DeadLetter) -> str:
    """Hand the dead letter to its group's handler again, here and now; returns what happened.

    Safe to repeat: the processed-event record makes a second replay, or an event the group handled
    meanwhile, a no-op.
    """
    event = event_decode(letter.record)
    ran = event_process(group=letter.group, event=event, handler=consumer_handler(letter.group))
    return "handled" if ran else "already handled"
