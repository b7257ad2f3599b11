"""What the ops page shows: replication, outbox backlog, consumer lag and recent errors.

Each reader catches the failure of the server it reads and reports it as the reason, so the page
still renders (and says what is wrong) when a server is down.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count, Min
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import KafkaError

from ops.models import RecentError
from orders.selectors import order_count
from outbox.models import OutboxEvent
from routers.placement import PRIMARY_ALIAS, Placement, aliases_for


@dataclass
class Replication:
    replica: str
    state: str
    lag_bytes: int
    lag_seconds: float


@dataclass
class Backlog:
    alias: str
    unpublished: int | None
    oldest_age_s: float | None = None
    error: str = ""


@dataclass
class OrderCount:
    alias: str
    orders: int | None
    error: str = ""


@dataclass
class GroupLag:
    group: str
    lag: int
    partitions: int


def replication_list() -> list[Replication]:
    """The primary's view of each standby: how far behind it is, in WAL bytes and replay time."""
    sql = """
        SELECT application_name, state,
               COALESCE(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)::bigint,
               COALESCE(extract(epoch FROM replay_lag), 0)::float
        FROM pg_stat_replication ORDER BY application_name
    """
    with connections[PRIMARY_ALIAS].cursor() as cursor:
        cursor.execute(sql)
        return [Replication(*row) for row in cursor.fetchall()]


def outbox_backlog_list() -> list[Backlog]:
    """Unpublished events on each server with an outbox (the primary and every shard)."""
    backlogs = []
    for alias in aliases_for(Placement.ORDER_SHARDS):
        try:
            row = (
                OutboxEvent.objects.using(alias)
                .filter(published_at__isnull=True)
                .aggregate(count=Count("id"), oldest=Min("created_at"))
            )
        except DatabaseError as exc:
            backlogs.append(Backlog(alias, None, error=str(exc).strip().splitlines()[0]))
            continue
        age = time.time() - row["oldest"].timestamp() if row["oldest"] else None
        backlogs.append(Backlog(alias, row["count"], age))
    return backlogs


def order_count_list() -> list[OrderCount]:
    """Orders on each shard, and the legacy ones still on the primary (`default`)."""
    counts = []
    for alias in aliases_for(Placement.ORDER_SHARDS):
        try:
            counts.append(OrderCount(alias, order_count(using=alias)))
        except DatabaseError as exc:
            counts.append(OrderCount(alias, None, str(exc).strip().splitlines()[0]))
    return counts


def consumer_lag_list(*, timeout_s: float) -> list[GroupLag]:
    """Per consumer group: messages on the broker its members have not committed yet.

    Raises KafkaError when the broker cannot be asked. `timeout_s` bounds each step, not the whole
    reading: connecting, each of the several requests, and the reading of the end offsets each give up
    after it (kafka-python would wait 30 s to connect to a broker that does not answer). It is not a
    budget for the whole because kafka-python's `list_groups` and `list_group_offsets` take no timeout:
    each of their requests gets the admin client's `request_timeout_ms`.
    """
    timeout_ms = round(timeout_s * 1000)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
    )
    try:
        groups = sorted(g["group_id"] for g in admin.list_groups())
        committed = admin.list_group_offsets(groups) if groups else {}
        partitions = {tp for offsets in committed.values() for tp in offsets}
        reported = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions}) if partitions else {}
    finally:
        admin.close()
    ends = _true_end_offsets({tp: o.offset for tp, o in reported.items()}, timeout_s=timeout_s)
    return [
        GroupLag(
            group,
            sum(max(ends[tp] - max(meta.offset, 0), 0) for tp, meta in committed[group].items()),
            len(committed[group]),
        )
        for group in groups
    ]


def _true_end_offsets(reported: dict[TopicPartition, int], *, timeout_s: float) -> dict[TopicPartition, int]:
    """End offsets read from the log itself. Some brokers (the local tansu) answer ListOffsets with
    the base offset of the last batch, under-reporting the end; reading that batch finds the real one."""
    ends = dict(reported)
    if not reported:
        return ends
    consumer = KafkaConsumer(
        bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.KAFKA_FETCH_MAX_WAIT_MS,
        # kafka-python wants a fetch's request timeout past its wait; the reading below is bounded anyway.
        request_timeout_ms=round(timeout_s * 1000) + settings.KAFKA_FETCH_MAX_WAIT_MS,
        bootstrap_timeout_ms=round(timeout_s * 1000),
        max_poll_records=100_000,
    )
    try:
        consumer.assign(list(reported))
        for tp, end in reported.items():
            consumer.seek(tp, max(end - 1, 0))
        pending = {tp for tp, end in reported.items() if end > 0}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=100).items():
                ends[tp] = max(ends[tp], records[-1].offset + 1)
                pending.discard(tp)
    finally:
        consumer.close()
    return ends


def recent_error_list(*, limit: int = 20) -> list[RecentError]:
    return list(RecentError.objects.all()[:limit])


def consumer_lag_or_reason(*, broker_ready: bool, timeout_s: float) -> tuple[list[GroupLag], str]:
    """Consumer lag, or the reason it cannot be read (a failed readiness check answers for a broker
    that is down, without waiting `timeout_s` again; each Kafka request then gives up after it)."""
    if not broker_ready:
        return [], "the broker is not answering (see Servers)"
    try:
        return consumer_lag_list(timeout_s=timeout_s), ""
    except KafkaError as exc:
        return [], f"{type(exc).__name__}: {exc}"
