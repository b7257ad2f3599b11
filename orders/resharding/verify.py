"""Comparing a move's source and target, and the cut-over that only a passing comparison allows."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from orders.models import ReservationStatus
from orders.resharding import sql
from orders.resharding.moves import MoveRange, MoveRefused, layout_lock_exclusive, ranges_of
from routers.models import MoveState, ShardMove
from routers.placement import PRIMARY_ALIAS
from routers.sharding import layout_forget, order_id_logical_shard


@dataclass(frozen=True)
class Mismatch:
    logical: int
    what: str
    source: tuple[int, str | None]
    target: tuple[int, str | None]


@dataclass
class Verification:
    logical_shards: int = 0
    orders: int = 0
    lines: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.mismatches


def move_verify(*, move: ShardMove) -> Verification:
    """Per moving logical shard: the count and md5 of the orders and of their lines on the source,
    against the target's rows below the move's watermark (newer orders were placed on the target
    and exist nowhere else). Records `verified` when every range is copied and all match, and
    drops a `verified` move back to `backfilling` when they no longer do."""
    if move.state not in (MoveState.BACKFILLING, MoveState.VERIFIED):
        raise MoveRefused(f"move {move.id} is {move.state}: only a backfilled move can be verified")
    result = Verification()
    for r in ranges_of(move):
        for what, query in (("orders", sql.orders_digest), ("lines", sql.lines_digest)):
            source = _digests(r.source, query(first=r.first, last=r.last, below=None))
            target = _digests(r.target, query(first=r.first, last=r.last, below=move.watermark_id))
            for logical in range(r.first, r.last + 1):
                pair = (source.get(logical, (0, None)), target.get(logical, (0, None)))
                if pair[0] != pair[1]:
                    result.mismatches.append(Mismatch(logical, what, *pair))
            counted = sum(count for count, _ in source.values())
            if what == "orders":
                result.orders += counted
            else:
                result.lines += counted
        result.logical_shards += r.last - r.first + 1
    copied = not move.progress.filter(finished=False).exists()
    state = MoveState.VERIFIED if result.passed and copied else MoveState.BACKFILLING
    ShardMove.objects.filter(pk=move.pk).update(
        state=state, verified_at=timezone.now() if state == MoveState.VERIFIED else None, updated_at=timezone.now()
    )
    move.state = state
    return result


def _digests(alias: str, query: str) -> dict[int, tuple[int, str]]:
    with connections[alias].cursor() as cursor:
        cursor.execute(query)
        return {logical: (count, digest) for logical, count, digest in cursor.fetchall()}


def move_cutover(*, move: ShardMove, batch_size: int, on_batch: Callable[[int], None] = lambda deleted: None) -> int:
    """Make the target authoritative and delete the moved rows from the source; returns how many
    orders were deleted. Refused unless the move verifies on the data as it is now.

    Invariant: from the switch to `cutting_over` on, reads go to the target only, so every order is
    readable from exactly one place while the source rows are deleted in batches.
    """
    if move.state != MoveState.CUTTING_OVER:
        if move.state != MoveState.VERIFIED:
            raise MoveRefused(f"move {move.id} is {move.state}: run --verify until it passes before --cutover")
        verification = move_verify(move=move)
        if not verification.passed:
            raise MoveRefused(
                f"move {move.id} no longer verifies ({len(verification.mismatches)} logical shards differ,"
                f" first {verification.mismatches[0]}); run migrate_to_shards again, then --verify"
            )
        with transaction.atomic(using="default"):
            layout_lock_exclusive()
            _reservations_follow(ranges_of(move))
            ShardMove.objects.filter(pk=move.pk).update(state=MoveState.CUTTING_OVER, updated_at=timezone.now())
        layout_forget()
    deleted = 0
    for r in ranges_of(move):
        deleted += _source_delete(r, batch_size, on_batch, deleted)
    ShardMove.objects.filter(pk=move.pk).update(
        state=MoveState.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    layout_forget()
    return deleted


def _reservations_follow(ranges: list[MoveRange]) -> None:
    """Open reservations of moved orders now name the target, where reconcile_orders must look:
    one UPDATE per range, as checkouts wait on the lock held meanwhile."""
    with connections[PRIMARY_ALIAS].cursor() as cursor:
        for r in ranges:
            cursor.execute(
                sql.reservations_follow(first=r.first, last=r.last),
                {"target": r.target, "source": r.source, "reserved": ReservationStatus.RESERVED},
            )


def _source_delete(r: MoveRange, batch_size: int, on_batch: Callable[[int], None], before: int) -> int:
    """Delete the range's orders from the source in batches, walking forward in (logical shard, id)
    order so no batch rescans the index entries of rows the ones before it deleted."""
    deleted, after = 0, (-1, 0)
    while True:
        ids = sql.batch_ids(first=r.first, last=r.last, limit=batch_size)
        with transaction.atomic(using=r.source), connections[r.source].cursor() as cursor:
            ids = cursor.mogrify(ids, {"logical": after[0], "id": after[1]}).decode()
            for kind in ("line", "outbox"):
                cursor.execute(sql.batch_delete(kind, ids))
            cursor.execute(sql.batch_delete("order", ids) + " RETURNING id")
            gone = [row[0] for row in cursor.fetchall()]
        if not gone:
            return deleted
        after = max((order_id_logical_shard(order_id), order_id) for order_id in gone)
        deleted += len(gone)
        on_batch(before + deleted)
