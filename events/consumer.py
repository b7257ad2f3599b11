"""The consumer loop every consumer group runs: poll, handle each message once, commit, repeat.

At least once, taking effect once: offsets are committed only after `event_process` has committed the
handler's effect and its processed-event row, so a crash anywhere redelivers rather than loses, and
the row turns the redelivery into a no-op. A message that keeps failing goes to the dead-letter topic
with its reason after `CONSUMER_MAX_ATTEMPTS`, so one poison message never stops its partition.
"""

import logging
import signal
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from events.clients import consumer_build, headers_decode, topics_ensure
from events.dead_letters import DeadLetterWriter
from events.processing import MalformedEvent, PermanentFailure, consumer_handler, event_decode, event_process
from outbox.models import ORDER_EVENTS_TOPIC
from urbanharvest import telemetry

logger = logging.getLogger(__name__)


class EventConsumer:
    """One member of consumer group `group`, handling messages with the group's handler."""

    def __init__(
        self,
        *,
        group: str,
        topics: tuple[str, ...] = (ORDER_EVENTS_TOPIC,),
        report: Callable[[str], None] = logger.info,
    ):
        self.group = group
        self.topics = topics
        self.handler = consumer_handler(group)
        self.report = report
        self.stopping = threading.Event()
        self.handled = 0
        self._consumer: KafkaConsumer | None = None
        self._dead_letters: DeadLetterWriter | None = None

    def stop_on_signals(self) -> None:
        """SIGTERM / SIGINT finish the current message, commit, and leave the group."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())

    def run(self) -> None:
        """Consume until stopped, reconnecting with backoff whenever the broker goes away."""
        backoff = settings.KAFKA_RETRY_BACKOFF_S
        while not self.stopping.is_set():
            try:
                self._connect()
                backoff = settings.KAFKA_RETRY_BACKOFF_S
                while not self.stopping.is_set():
                    self._poll_once()
            except KafkaError as exc:
                # A broker that restarts may come back without our topics or our group: start over.
                self.report(f"{self.group}: broker trouble ({exc!r}); reconnecting in {backoff:.1f}s")
                self._disconnect()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, settings.KAFKA_RETRY_BACKOFF_MAX_S)
        self._disconnect()
        self.report(f"{self.group}: stopped after handling {self.handled} events")

    def _connect(self) -> None:
        if self._consumer is None:
            topics_ensure()
            self._consumer = consumer_build(group=self.group, topics=self.topics)
            self._dead_letters = DeadLetterWriter(group=self.group)
            self.report(f"{self.group}: consuming {', '.join(self.topics)}")

    def _disconnect(self) -> None:
        if self._consumer is not None:
            # Leaving the group at once hands our partitions to the others without a session timeout.
            self._consumer.close(autocommit=False)
            self._consumer = None
        if self._dead_letters is not None:
            self._dead_letters.close()
            self._dead_letters = None

    def _poll_once(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        batches = consumer.poll(timeout_ms=500)
        if batches:
            # Once a batch, not a message: with health checks on, each call costs the next query a
            # round trip. A failed attempt calls it again (_handle), to drop a broken connection.
            close_old_connections()
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        for partition, records in batches.items():
            for record in records:
                if self.stopping.is_set():
                    break
                headers = headers_decode(record)
                with telemetry.consume_span(record, group=self.group, headers=headers):
                    settled = self._handle(record, headers=headers)
                if not settled:
                    # Stopped during retries: hand the message back uncommitted for the next member.
                    break
                done[partition] = OffsetAndMetadata(record.offset + 1, None, -1)
        if done:
            consumer.commit(done)

    def _handle(self, record: ConsumerRecord, *, headers: dict[str, str]) -> bool:
        """Handle one message (its `headers` decoded), retrying with backoff; dead-letter it after the
        last attempt. False when stopped before it was settled."""
        try:
            event = event_decode(record, headers=headers)
        except MalformedEvent as exc:
            self._dead_letter(record, reason=f"MalformedEvent: {exc}", attempts=1)
            return True
        delay = settings.CONSUMER_RETRY_BACKOFF_S
        attempt = 0
        while True:
            try:
                with telemetry.step_span(f"handle {event.type}", {"event.id": event.id, "attempt": attempt + 1}):
                    processed = event_process(group=self.group, event=event, handler=self.handler)
                if processed:
                    self.handled += 1
                return True
            except PermanentFailure as exc:
                self._dead_letter(record, reason=f"{type(exc).__name__}: {exc}", attempts=attempt + 1)
                return True
            except (OperationalError, InterfaceError) as exc:
                # Without the primary no event can be recorded: wait for it rather than dead-letter
                # every message that arrives meanwhile.
                logger.warning("%s: primary unavailable (%r); retrying %s", self.group, exc, event.id)
                close_old_connections()
            except Exception as exc:
                # Anything else may be transient (a server restarting, a network blip): retry it.
                attempt += 1
                if attempt == settings.CONSUMER_MAX_ATTEMPTS:
                    self._dead_letter(record, reason=f"{type(exc).__name__}: {exc}", attempts=attempt)
                    return True
                logger.warning("%s: attempt %d on %s failed: %r", self.group, attempt, event.id, exc)
                close_old_connections()
            if self.stopping.wait(delay):
                return False
            delay = min(delay * 2, settings.CONSUMER_RETRY_BACKOFF_MAX_S)

    def _dead_letter(self, record: ConsumerRecord, *, reason: str, attempts: int) -> None:
        assert self._dead_letters is not None
        self._dead_letters.send(record, reason=reason, attempts=attempts)
        self.report(f"{self.group}: dead-lettered {record.topic}:{record.partition}:{record.offset}: {reason}")


def consumer_run(*, group: str, report: Callable[[str], None]) -> None:
    """Run one member of `group` until SIGTERM or SIGINT (what each consume_* command does)."""
    consumer = EventConsumer(group=group, report=report)
    consumer.stop_on_signals()
    consumer.run()
