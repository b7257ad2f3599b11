"""The steps `migrate_to_shards` runs, each under the one-run-at-a-time lock."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from orders.resharding.backfill import BackfillReport, batch_copy, logical_recopy, move_backfill
from orders.resharding.moves import (
    MoveRange,
    MoveRefused,
    RunLock,
    in_flight_wait,
    layout_settle_wait,
    move_begin,
    move_plan,
    move_switch_writes,
    move_unfinished,
    ranges_of,
    servers_check,
    target_parse,
)
from orders.resharding.verify import Verification, move_cutover, move_verify
from routers.models import MoveState, ShardMove, ShardMoveProgress
from routers.sharding import layout_current, map_format, shard_map


def target_map_default() -> str:
    """The unfinished move's target, else SHARD_MAP (or the even split over the configured shards)."""
    unfinished = move_unfinished()
    return unfinished.target_map if unfinished is not None else map_format(shard_map())


@dataclass(frozen=True)
class PlanLine:
    range: MoveRange
    orders: int
    lines: int
    seconds: float | None


def move_dry_run(*, target_map: str, batch_size: int) -> list[PlanLine]:
    """Per range: what would move, and how long that would take at a rate measured now by copying
    one batch into the target inside a transaction that is rolled back. Writes nothing."""
    target = target_parse(value=target_map)
    _servers_check(target)
    plan = move_plan(target=target)
    lines = []
    for r, orders, order_lines in plan:
        probe = ShardMoveProgress(first_logical=r.first, last_logical=r.last, source=r.source, target=r.target)
        started = time.monotonic()
        sample = batch_copy(progress=probe, limit=batch_size, commit=False) if orders else None
        rate = sample.orders / (time.monotonic() - started) if sample else None
        lines.append(PlanLine(r, orders, order_lines, orders / rate if rate else None))
    return lines


def move_run(
    *, target_map: str, batch_size: int, on_batch: Callable[[BackfillReport], None], say: Callable[[str], None]
) -> tuple[ShardMove, BackfillReport, Verification]:
    """Start (or resume) the move to `target_map`, copy everything, and verify. Never cuts over."""
    target = target_parse(value=target_map)
    with RunLock():
        _servers_check(target)
        move = move_begin(target=target)
        ranges = ranges_of(move)
        if move.state == MoveState.PREPARING:
            say(f"move {move.id}: {move.source_map} -> {move.target_map}; readers now look in both places")
            layout_settle_wait()
            move_switch_writes(move=move)
            say(f"new orders of {sum(r.last - r.first + 1 for r in ranges)} logical shards now go to the target")
        elif move.state not in (MoveState.BACKFILLING, MoveState.VERIFIED):
            raise MoveRefused(f"move {move.id} is {move.state}: finish it with --cutover")
        in_flight_wait(ranges=ranges)
        report = move_backfill(move=move, batch_size=batch_size, on_batch=on_batch)
        verification = move_verify(move=move)
        if not verification.passed:
            # Rows that changed on the source after their copy: copy those logical shards afresh, once.
            say(f"{len(verification.mismatches)} logical shards differ; copying them again")
            for logical in sorted({m.logical for m in verification.mismatches}):
                r = next(r for r in ranges if r.first <= logical <= r.last)
                logical_recopy(move=move, logical=logical, source=r.source, target=r.target, batch_size=batch_size)
            verification = move_verify(move=move)
    return move, report, verification


def _servers_check(target: tuple) -> None:
    """Before anything is recorded: a move whose readers look in an unreachable place fails them."""
    servers_check(aliases=[*layout_current(fresh=True).aliases(), *(r.alias for r in target)])


def move_verify_now() -> tuple[ShardMove, Verification]:
    with RunLock():
        move = _unfinished_or_refuse()
        servers_check(aliases=[a for r in ranges_of(move) for a in (r.source, r.target)])
        return move, move_verify(move=move)


def move_cutover_now(*, batch_size: int, on_batch: Callable[[int], None]) -> tuple[ShardMove, int]:
    with RunLock():
        latest = ShardMove.objects.order_by("-id").first()
        if latest is not None and latest.state == MoveState.DONE:
            return latest, 0  # a re-run after a cut-over that finished: nothing left to do
        move = _unfinished_or_refuse()
        servers_check(aliases=[a for r in ranges_of(move) for a in (r.source, r.target)])
        deleted = move_cutover(move=move, batch_size=batch_size, on_batch=on_batch)
        move.refresh_from_db()
        return move, deleted


def _unfinished_or_refuse() -> ShardMove:
    move = move_unfinished()
    if move is None:
        raise MoveRefused("no move is in progress; run migrate_to_shards (with --to MAP) to start one")
    return move


def moves_recent(*, limit: int = 5) -> list[ShardMove]:
    return list(ShardMove.objects.order_by("-id").prefetch_related("progress")[:limit])
