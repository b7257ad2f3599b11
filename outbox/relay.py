"""The outbox relay: publishes unpublished outbox rows to Kafka and marks them published.

Several relays can run at once: each claims a batch with `FOR UPDATE SKIP LOCKED`, so a row is
claimed by one relay at a time, and keeps its lock until the broker has acknowledged every message
of the batch. A crash after the acknowledgement but before the commit publishes the batch again;
consumers deduplicate by event id, so delivery is at least once and takes effect once.

Within one relay, each database has `BATCHES_IN_FLIGHT` batches going at once: while one waits for
its acknowledgements and marks its rows, the next is claimed and sent. Claim-and-send takes turns
(`turn`), so a later batch's messages always follow an earlier batch's into the producer, and one
order's events (all on one database) reach their partition in order. A batch that fails is retried
after the batch behind it went out, so only then can an order's events arrive out of order.
"""

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections, transaction
from django.utils import timezone
from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.producer.future import FutureRecordMetadata
from opentelemetry.instrumentation.utils import suppress_instrumentation

from events.clients import event_headers, producer_build, producer_discard, topics_ensure
from outbox.models import OutboxEvent
from outbox.services import outbox_prune
from routers.placement import Placement, aliases_for
from urbanharvest import telemetry

logger = logging.getLogger(__name__)


# The claim and the mark are one statement each, in the table's own terms: the payload leaves as the
# database's JSON text (parsing it only to serialise it again would cost more than the claim) and the
# ids as text, so no row becomes a Python object on the way from the outbox to the producer.
_CLAIM_SQL = f"""
    SELECT id::text, topic, key, event_type, headers::text, payload::text FROM {OutboxEvent._meta.db_table}
    WHERE published_at IS NULL ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED
"""  # noqa: S608
_MARK_SQL = f"UPDATE {OutboxEvent._meta.db_table} SET published_at = %s WHERE id = ANY(%s::uuid[])"  # noqa: S608


# Two batches per database: one claimed and sent while the other waits for its acknowledgements and
# its mark. More would only add connections, as the sending itself does not run in parallel.
BATCHES_IN_FLIGHT = 2


def outbox_publish_batch(
    *, using: str, producer: KafkaProducer, batch_size: int, turn: contextlib.AbstractContextManager | None = None
) -> int:
    """Publish up to `batch_size` of the oldest unpublished events on `using`; returns how many.

    Invariant: a row is marked published only after the broker acknowledged its message (acks=all);
    if any send fails, the whole batch stays unpublished and is retried. Three round trips a batch:
    claim, mark, commit. `turn`, shared by the batches in flight on `using`, is held from the claim
    until every message is in the producer, so batches enter the producer in the order they were
    claimed.
    """
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        with turn or contextlib.nullcontext():
            # The claim polls every database several times a second: traced, it would start a trace
            # of its own each time. The sends are traced, each in its event's trace.
            with suppress_instrumentation():
                cursor.execute(_CLAIM_SQL, [batch_size])
                rows = cursor.fetchall()
            futures = [_publish(producer, *row) for row in rows]
        if not rows:
            return 0
        # Wait for this batch's acknowledgements only (other relay threads share the producer).
        deadline = time.monotonic() + settings.KAFKA_REQUEST_TIMEOUT_MS / 1000
        for future in futures:
            future.get(timeout=max(0.0, deadline - time.monotonic()))
        with suppress_instrumentation():
            cursor.execute(_MARK_SQL, [timezone.now(), [row[0] for row in rows]])
    return len(rows)


def _publish(
    producer: KafkaProducer, event_id: str, topic: str, key: str, event_type: str, headers_json: str, payload_json: str
) -> FutureRecordMetadata:
    """Send one event, in the trace of the request that recorded it."""
    headers = json.loads(headers_json)
    with telemetry.publish_span(topic=topic, key=key, event_type=event_type, headers=headers):
        return producer.send(
            topic,
            key=key.encode(),
            value=payload_json.encode(),
            headers=event_headers(
                event_id=event_id, event_type=event_type, extra=telemetry.headers_without_trace_context(headers)
            ),
        )


class OutboxRelay:
    """Drains the outbox on every database that has one until stopped, surviving a broker outage."""

    def __init__(self, *, batch_size: int, report: Callable[[str], None] = logger.info):
        self.batch_size = batch_size
        self.report = report
        self.aliases = aliases_for(Placement.ORDER_SHARDS)
        self.stopping = threading.Event()
        self.published = 0
        self._producer: KafkaProducer | None = None
        self._pruned_at = 0.0
        # Threads per database, so its claims and marks overlap sending (its own and the others').
        self._turns = {alias: threading.Lock() for alias in self.aliases}
        self._workers = ThreadPoolExecutor(
            max_workers=len(self.aliases) * BATCHES_IN_FLIGHT, thread_name_prefix="relay"
        )

    def run(self) -> None:
        backoff = settings.KAFKA_RETRY_BACKOFF_S
        while not self.stopping.is_set():
            try:
                if self._producer is None:
                    topics_ensure()
                    self._producer = producer_build()
                    self.report(f"relay: publishing from {', '.join(self.aliases)}")
                published = self.drain_once()
                backoff = settings.KAFKA_RETRY_BACKOFF_S
                self.prune_if_due()
                if not published:
                    self.stopping.wait(settings.OUTBOX_POLL_INTERVAL_S)
            except KafkaError as exc:
                # The events stay in the outbox; a broker that restarted needs a fresh producer id.
                self.report(f"relay: broker unavailable ({exc!r}); retrying in {backoff:.1f}s")
                self._close_producer()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, settings.KAFKA_RETRY_BACKOFF_MAX_S)
        self._workers.shutdown(wait=True)
        self._close_producer()
        self.report(f"relay: stopped after publishing {self.published} events")

    def drain_once(self) -> int:
        """Drain each database, in parallel, until it has no more events than a short batch; a
        database that is down does not hold up the others, and a broker error is raised once every
        database's drain has settled."""
        assert self._producer is not None
        batches = [
            (alias, self._workers.submit(self._drain_alias, alias))
            for alias in self.aliases
            for _ in range(BATCHES_IN_FLIGHT)
        ]
        published, broker_error = 0, None
        for alias, batch in batches:
            try:
                published += batch.result()
            except DatabaseError as exc:
                logger.warning("relay: outbox on %s unavailable: %r", alias, exc)
            except KafkaError as exc:
                broker_error = exc
        self.published += published
        if broker_error is not None:
            raise broker_error
        return published

    def _drain_alias(self, alias: str) -> int:
        """Batch after batch until one comes back short: a database with a backlog keeps its thread
        busy rather than waiting at every batch for the slowest of the others."""
        close_old_connections()
        published = 0
        while not self.stopping.is_set():
            batch = outbox_publish_batch(
                using=alias, producer=self._producer, batch_size=self.batch_size, turn=self._turns[alias]
            )
            published += batch
            if batch < self.batch_size:
                break
        return published

    def prune_if_due(self) -> None:
        now = timezone.now().timestamp()
        if now - self._pruned_at < settings.OUTBOX_PRUNE_INTERVAL_S:
            return
        self._pruned_at = now
        retention = timedelta(hours=settings.OUTBOX_RETENTION_HOURS)
        for alias in self.aliases:
            try:
                removed = outbox_prune(using=alias, older_than=retention)
            except DatabaseError as exc:
                logger.warning("relay: pruning %s failed: %r", alias, exc)
                continue
            if removed:
                self.report(f"relay: pruned {removed} published events older than {retention} on {alias}")

    def _close_producer(self) -> None:
        if self._producer is not None:
            producer_discard(self._producer)
            self._producer = None
