"""The plan of a move and its state machine (see routers/models.py for the states).

Why this order of steps loses and duplicates nothing while checkout keeps running:
1. `preparing` is recorded; the run waits one layout poll, so every web process reads the target as
   well as the source before any order is written to the target.
2. The switch to `backfilling` takes the layout lock exclusively (checkouts hold it shared while they
   choose a shard and draw the order id: routers.sharding.order_slot_new), so it waits only for
   the checkouts then choosing (milliseconds), and records a watermark id: every order on the source
   is below it, every order placed afterwards is above it and goes to the target.
3. Checkouts that chose the source before the switch have a reservation naming it; the run waits
   until each has written its order (or can no longer: its reservation is settled or too old).
4. Only then is the source copied; verify compares the source with the target's rows below the
   watermark; cut-over makes the target authoritative before anything is deleted from the source.
"""

import datetime as dt
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from orders.models import Order, ReservationStatus, StockReservation
from orders.resharding import sql
from routers.models import MoveState, ShardMove, ShardMoveProgress
from routers.placement import PRIMARY_ALIAS
from routers.sharding import (
    DB_CLOCK_MS_SQL,
    LAYOUT_LOCK,
    N_LOGICAL,
    ORDER_ID_EPOCH_MS,
    ShardRange,
    alias_for_logical_in,
    layout_current,
    layout_forget,
    map_format,
    map_parse,
    order_id_compose,
    order_id_logical_shard,
)

RUN_LOCK = 0x55480002


class MoveRefused(Exception):
    """The move cannot run as asked; the message says why and what to do. Nothing was changed."""


class SourceChanged(MoveRefused):
    """Rows below a checkpoint differ from what the checkpoint recorded."""


@dataclass(frozen=True)
class MoveRange:
    """Logical shards first..last move from `source` to `target`."""

    first: int
    last: int
    source: str
    target: str


def move_ranges(*, source: tuple[ShardRange, ...], target: tuple[ShardRange, ...]) -> list[MoveRange]:
    """The contiguous ranges of logical shards whose alias differs between the two maps."""
    ranges: list[MoveRange] = []
    for logical in range(N_LOGICAL):
        pair = (alias_for_logical_in(source, logical), alias_for_logical_in(target, logical))
        if pair[0] == pair[1]:
            continue
        if ranges and ranges[-1].last == logical - 1 and (ranges[-1].source, ranges[-1].target) == pair:
            ranges[-1] = MoveRange(ranges[-1].first, logical, *pair)
        else:
            ranges.append(MoveRange(logical, logical, *pair))
    return ranges


def target_parse(*, value: str) -> tuple[ShardRange, ...]:
    try:
        return map_parse(value)
    except ImproperlyConfigured as exc:
        raise MoveRefused(f"the target shard map is not usable: {exc}") from None


def move_unfinished() -> ShardMove | None:
    return ShardMove.objects.exclude(state=MoveState.DONE).order_by("-id").first()


def servers_check(*, aliases: list[str]) -> None:
    """Refuse to start (or go on) unless every server the move touches answers."""
    for alias in dict.fromkeys(aliases):
        try:
            connections[alias].ensure_connection()
        except DatabaseError as exc:
            where = f"{connections[alias].settings_dict.get('HOST')}:{connections[alias].settings_dict.get('PORT')}"
            raise MoveRefused(f"{alias} ({where}) is unreachable: {str(exc).strip()}") from None


class RunLock:
    """One run at a time: a session advisory lock on the primary, held on a connection of its own and
    released by the server when the run's process dies, however it dies."""

    def __init__(self, *, wait: float = 3.0) -> None:
        # A killed run's lock goes when its server process notices, which can take a moment.
        self.wait = wait
        self.connection = connections.create_connection(PRIMARY_ALIAS)

    def __enter__(self) -> "RunLock":
        deadline = time.monotonic() + self.wait
        with self.connection.cursor() as cursor:
            while not (locked := self._try(cursor)) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not locked:
                cursor.execute(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted",
                    [RUN_LOCK & 0xFFFFFFFF],
                )
                holder = cursor.fetchone()
                self.connection.close()
                raise MoveRefused(
                    "another migrate_to_shards run is in progress"
                    f" (PostgreSQL backend pid {holder[0] if holder else '?'} holds its lock); wait for it or stop it"
                )
        return self

    def __exit__(self, *exc_info) -> None:
        self.connection.close()

    @staticmethod
    def _try(cursor) -> bool:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK])
        return cursor.fetchone()[0]


def move_begin(*, target: tuple[ShardRange, ...]) -> ShardMove:
    """Record a move from the current layout to `target` (state `preparing`), or return the
    unfinished move to the same target so a killed run goes on where it stopped."""
    unfinished = move_unfinished()
    wanted = map_format(target)
    if unfinished is not None:
        if unfinished.target_map != wanted:
            raise MoveRefused(
                f"move {unfinished.id} to {unfinished.target_map!r} is unfinished ({unfinished.state});"
                " finish it (migrate_to_shards --to that map, then --cutover) before starting another"
            )
        return unfinished
    source = layout_current(fresh=True).settled
    ranges = move_ranges(source=source, target=target)
    if not ranges:
        raise MoveRefused(f"nothing to move: orders already live as {wanted!r}")
    with transaction.atomic(using=PRIMARY_ALIAS):
        layout_lock_exclusive()
        move = ShardMove.objects.create(source_map=map_format(source), target_map=wanted)
        ShardMoveProgress.objects.bulk_create(
            [
                ShardMoveProgress(
                    move=move, first_logical=r.first, last_logical=r.last, source=r.source, target=r.target
                )
                for r in ranges
            ]
        )
    layout_forget()
    return move


def layout_lock_exclusive() -> None:
    with connections[PRIMARY_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LAYOUT_LOCK])


def layout_settle_wait() -> None:
    """Every web process re-reads the layout within one poll; wait that long (and a little more)."""
    time.sleep(settings.SHARD_LAYOUT_POLL_SECONDS + 0.25)


def move_switch_writes(*, move: ShardMove) -> None:
    """preparing -> backfilling: new orders of the moving logical shards go to the target from now
    on, and every order already on the source has an id below the recorded watermark."""
    with transaction.atomic(using=PRIMARY_ALIAS):
        layout_lock_exclusive()
        with connections[PRIMARY_ALIAS].cursor() as cursor:
            cursor.execute(f"SELECT {DB_CLOCK_MS_SQL} - {ORDER_ID_EPOCH_MS:d}")
            now_ms = cursor.fetchone()[0]
        # Ids drawn after this commit carry a later millisecond than any drawn before it.
        time.sleep(0.003)
        move.watermark_id = order_id_compose(milliseconds=now_ms + 1, logical=0, sequence=0)
        move.state = MoveState.BACKFILLING
        move.save(update_fields=["watermark_id", "state", "updated_at"])
    layout_forget()


def in_flight_wait(*, ranges: list[MoveRange], timeout: float = 600.0) -> None:
    """Wait for checkouts that chose a moving logical shard's source before the switch to write
    their order there (step 2 of order_place), so the backfill copies it."""
    moving = {logical: r.source for r in ranges for logical in range(r.first, r.last + 1)}
    deadline = time.monotonic() + timeout
    while True:
        waiting = _in_flight(moving)
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise MoveRefused(
                f"{len(waiting)} checkouts begun before the switch never wrote their order (ids {waiting[:5]});"
                " run reconcile_orders, then run migrate_to_shards again"
            )
        time.sleep(0.05)


def _in_flight(moving: dict[int, str]) -> list[int]:
    lifetime = settings.ORDER_RESERVATION_SECONDS
    # After the switch no reservation names the source for a moving logical shard, so every open
    # one that does was begun before it.
    open_reservations = StockReservation.objects.filter(
        status=ReservationStatus.RESERVED, shard__in=set(moving.values())
    ).values_list("order_id", "shard", "expires_at")
    pending: dict[str, list[int]] = {}
    for order_id, shard, expires_at in open_reservations:
        if moving.get(order_id_logical_shard(order_id)) != shard:
            continue
        # order_place refuses to commit step 2 past two thirds of the reservation's life.
        if timezone.now() > expires_at - dt.timedelta(seconds=lifetime / 3):
            continue
        pending.setdefault(shard, []).append(order_id)
    waiting = []
    for shard, order_ids in pending.items():
        written = set(Order.objects.using(shard).filter(id__in=order_ids).values_list("id", flat=True))
        waiting += [order_id for order_id in order_ids if order_id not in written]
    return waiting


def ranges_of(move: ShardMove) -> list[MoveRange]:
    return [MoveRange(p.first_logical, p.last_logical, p.source, p.target) for p in move.progress.all()]


def move_plan(*, target: tuple[ShardRange, ...]) -> list[tuple[MoveRange, int, int]]:
    """What a move to `target` would copy: (range, orders, lines) per range. Reads only."""
    unfinished = move_unfinished()
    source = map_parse(unfinished.source_map) if unfinished else layout_current(fresh=True).settled
    plan = []
    for r in move_ranges(source=source, target=target):
        ids = sql.range_ids(first=r.first, last=r.last)
        with connections[r.source].cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({ids}) AS o")
            orders = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM orders_orderline WHERE order_id IN ({ids})")
            lines = cursor.fetchone()[0]
        plan.append((r, orders, lines))
    return plan
