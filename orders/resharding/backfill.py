"""Copying a move's logical shards from source to target: batches in (logical shard, id) order, each
a COPY out of one REPEATABLE READ snapshot of the source and a COPY into staging tables on the target
whose rows are inserted with ON CONFLICT DO NOTHING, then a checkpoint on the primary. A run killed
anywhere re-copies at most the batch it was in, and that copy changes nothing already there."""

import io
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import F

from orders.resharding import sql
from orders.resharding.moves import SourceChanged
from routers.models import ShardMove, ShardMoveProgress
from routers.sharding import order_id_logical_shard

KINDS = ("order", "line", "outbox")


@dataclass(frozen=True)
class Batch:
    orders: int
    lines: int
    events: int
    last_logical: int
    last_id: int


@dataclass
class BackfillReport:
    orders: int = 0
    lines: int = 0
    events: int = 0
    seconds: float = 0.0
    orders_to_copy: int = 0

    @property
    def eta_seconds(self) -> float | None:
        if not self.orders or not self.seconds:
            return None
        return max(self.orders_to_copy - self.orders, 0) * self.seconds / self.orders


def move_backfill(
    *, move: ShardMove, batch_size: int, on_batch: Callable[[BackfillReport], None] = lambda report: None
) -> BackfillReport:
    """Copy every unfinished range of `move` to its target, resuming from each range's checkpoint.

    Invariant: a checkpoint never runs ahead of what the target has committed; the source rows below
    a checkpoint are the ones it counted (else SourceChanged, and nothing more is copied).
    """
    unfinished = list(move.progress.filter(finished=False))
    for progress in unfinished:
        _checkpoint_check(progress)
    report = BackfillReport(orders_to_copy=sum(_orders_in(p) - p.orders_copied for p in unfinished))
    started = time.monotonic()
    for progress in unfinished:
        while (batch := batch_copy(progress=progress, limit=batch_size)) is not None:
            ShardMoveProgress.objects.filter(pk=progress.pk).update(
                copied_logical=batch.last_logical,
                copied_id=batch.last_id,
                orders_copied=F("orders_copied") + batch.orders,
                lines_copied=F("lines_copied") + batch.lines,
            )
            progress.copied_logical, progress.copied_id = batch.last_logical, batch.last_id
            progress.orders_copied += batch.orders
            report.orders, report.lines, report.events = (
                report.orders + batch.orders,
                report.lines + batch.lines,
                report.events + batch.events,
            )
            report.seconds = time.monotonic() - started
            on_batch(report)
        ShardMoveProgress.objects.filter(pk=progress.pk).update(finished=True)
    report.seconds = time.monotonic() - started
    return report


def _orders_in(progress: ShardMoveProgress) -> int:
    with connections[progress.source].cursor() as cursor:
        ids = sql.range_ids(first=progress.first_logical, last=progress.last_logical)
        cursor.execute(f"SELECT count(*) FROM ({ids}) AS o")
        return cursor.fetchone()[0]


def _checkpoint_check(progress: ShardMoveProgress) -> None:
    if progress.copied_logical < 0:
        return
    cursor_at = {"logical": progress.copied_logical, "id": progress.copied_id}
    with connections[progress.source].cursor() as cursor:
        ids = sql.range_ids(first=progress.first_logical, last=progress.last_logical, through=True)
        cursor.execute(f"SELECT count(*) FROM ({ids}) AS o", cursor_at)
        found = cursor.fetchone()[0]
    if found != progress.orders_copied:
        raise SourceChanged(
            f"{progress.source} changed under the checkpoint of logical shards {progress.first_logical}-"
            f"{progress.last_logical}: it holds {found} orders up to logical shard {progress.copied_logical},"
            f" id {progress.copied_id}, where the checkpoint copied {progress.orders_copied}. Something wrote to"
            " the source after the switch; run --verify to see which logical shards differ"
        )


def batch_copy(*, progress: ShardMoveProgress, limit: int, commit: bool = True) -> Batch | None:
    """Copy the next batch after `progress`'s checkpoint; None when the range is done. With
    `commit=False` the target's transaction is rolled back (a dry run's measured rate)."""
    buffers = _batch_read(progress, limit)
    orders = buffers["order"].getvalue()
    if not orders:
        return None
    with transaction.atomic(using=progress.target), connections[progress.target].cursor() as cursor:
        for kind in KINDS:
            cursor.execute(sql.staging_create(kind))
            buffers[kind].seek(0)
            cursor.copy_expert(sql.staging_copy_in(kind), buffers[kind])
            cursor.execute(sql.staging_insert(kind))
        if not commit:
            transaction.set_rollback(True, using=progress.target)
    last_id = int(orders.rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b"\t", 1)[0])
    return Batch(
        orders=orders.count(b"\n"),
        lines=buffers["line"].getvalue().count(b"\n"),
        events=buffers["outbox"].getvalue().count(b"\n"),
        last_logical=order_id_logical_shard(last_id),
        last_id=last_id,
    )


def _batch_read(progress: ShardMoveProgress, limit: int) -> dict[str, io.BytesIO]:
    """One snapshot of the source, so a batch's lines and events belong to exactly its orders."""
    buffers = {kind: io.BytesIO() for kind in KINDS}
    with transaction.atomic(using=progress.source), connections[progress.source].cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        ids = cursor.mogrify(
            sql.batch_ids(first=progress.first_logical, last=progress.last_logical, limit=limit),
            {"logical": progress.copied_logical, "id": progress.copied_id},
        ).decode()
        for kind in KINDS:
            cursor.copy_expert(sql.copy_out(kind, ids), buffers[kind])
    return buffers


def logical_recopy(*, move: ShardMove, logical: int, source: str, target: str, batch_size: int) -> None:
    """Copy one logical shard again, from scratch: the target's copies (rows below the watermark)
    are deleted first, so rows that changed on the source after they were copied are replaced.
    Orders stay readable meanwhile: readers fall back to the source, which still has them all."""
    with transaction.atomic(using=target), connections[target].cursor() as cursor:
        ids = f"SELECT id FROM orders_order WHERE {sql.LOGICAL} = {logical:d} AND id < {move.watermark_id:d}"
        for kind in ("line", "outbox", "order"):
            cursor.execute(sql.batch_delete(kind, ids))
    probe = ShardMoveProgress(first_logical=logical, last_logical=logical, source=source, target=target)
    while (batch := batch_copy(progress=probe, limit=batch_size)) is not None:
        probe.copied_logical, probe.copied_id = batch.last_logical, batch.last_id
