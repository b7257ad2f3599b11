"""The OrderRouter and the one API that says where an order lives.

A customer's orders all live on one server. The customer id is hashed (stably: CRC-32, never Python's
salted `hash()`) onto one of `N_LOGICAL` logical shards, and the shard map (`SHARD_MAP`: ranges of
logical shards -> database alias) picks the server. `N_LOGICAL` is fixed for the life of the data;
adding a server later means moving ranges of logical shards (and their rows), never re-hashing.

Order ids are 64-bit and carry their logical shard, Instagram style, so an id alone finds its order:

    bit 63      sign, always 0 (the ids fit PostgreSQL's signed bigint)
    bits 62..22 41 bits: milliseconds since ORDER_ID_EPOCH (2025-01-01 UTC), good until 2094
    bits 21..12 10 bits: the logical shard (0..1023)
    bits 11..0  12 bits: a sequence number (4,096 ids per millisecond per logical shard)

The time and sequence come from one query on the primary (its clock and `orders_order_id_seq`), so
every web server draws from one clock and one counter.

`ORDERS_SHARDED` off is the legacy layout: every order on the primary ("default"), with the SAME id
scheme, so `migrate_to_shards` can later copy rows across unchanged. That switch is read in one place
only: `layout_current`, which also overlays the database's record of a move (routers/models.py): once
`migrate_to_shards` has started, the database, not the settings, says where orders live, so every
web process follows the move without a restart. Processes re-read that record every
`SHARD_LAYOUT_POLL_SECONDS`; checkout re-reads it under a shared lock (`order_slot_new`).
"""

import bisect
import datetime as dt
import functools
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from routers.placement import PRIMARY_ALIAS, Placement, placement_of, shard_aliases

N_LOGICAL = 1024
TIME_BITS, LOGICAL_BITS, SEQUENCE_BITS = 41, 10, 12
ORDER_ID_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
ORDER_ID_SEQUENCE = "orders_order_id_seq"
ORDER_ID_EPOCH_MS = int(ORDER_ID_EPOCH.timestamp() * 1000)
# The primary's clock in milliseconds: every process draws order-id time (and moves their watermark) from it.
DB_CLOCK_MS_SQL = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
assert 1 << LOGICAL_BITS == N_LOGICAL


class UnroutedOrderQuery(RuntimeError):
    """An order-side model was read or written without choosing a shard (`.using(alias)`)."""


@dataclass(frozen=True, order=True)
class ShardRange:
    """Logical shards `first`..`last` (inclusive) live on database `alias`."""

    first: int
    last: int
    alias: str


def logical_shard_for_customer(customer_id: int) -> int:
    return zlib.crc32(str(customer_id).encode()) % N_LOGICAL


def shard_for_customer(customer_id: int) -> str:
    """The database alias new orders of this customer go to."""
    return _alias_for_logical(logical_shard_for_customer(customer_id))


def shard_for_order(order_id: int) -> str:
    """The database alias this order's changes go to, from its id alone."""
    return _alias_for_logical(order_id_logical_shard(order_id))


def shards_for_customer(customer_id: int) -> list[str]:
    """Where to look for this customer's orders, first match wins: one alias, or during a move the
    target and then the source."""
    return layout_current().read_aliases(logical_shard_for_customer(customer_id))


def shards_for_order(order_id: int) -> list[str]:
    return layout_current().read_aliases(order_id_logical_shard(order_id))


def all_shards() -> list[str]:
    """Every database holding orders (for fan-out reads), in shard-map order; during a move, the
    target's servers and the source's."""
    return layout_current().aliases()


def order_slot_new(*, customer_id: int) -> tuple[str, int]:
    """Where a new order of this customer goes and its id: the alias, read fresh from the database
    under a shared lock held until the open primary transaction (checkout's reservation) ends, and
    an id drawn under that lock.

    Invariant: a move's switch of writes (which takes the lock exclusively) happens either before
    this transaction, so the order goes to the new place, or after it commits, so its reservation
    names the old place and `migrate_to_shards` waits for it; ids drawn after a switch are above the
    move's watermark. The lock is its own statement: a statement's snapshot is taken before it
    waits, so a layout read in the same statement could predate a switch that committed meanwhile.
    """
    connection = connections[PRIMARY_ALIAS]
    if not connection.in_atomic_block:
        raise RuntimeError("order_slot_new must run inside the primary transaction that records the order")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LAYOUT_LOCK])
        cursor.execute(
            f"SELECT nextval('{ORDER_ID_SEQUENCE}'), {DB_CLOCK_MS_SQL},"  # noqa: S608
            f" move.* FROM (SELECT 1) AS one LEFT JOIN ({_LATEST_MOVE}) AS move ON true"
        )
        sequence, now_ms, *move = cursor.fetchone()
    logical = logical_shard_for_customer(customer_id)
    order_id = order_id_compose(milliseconds=now_ms - ORDER_ID_EPOCH_MS, logical=logical, sequence=sequence)
    return _layout_remember(None if move[0] is None else tuple(move)).write_alias(logical), order_id


def _alias_for_logical(logical: int) -> str:
    return layout_current().write_alias(logical)


LEGACY_MAP = "legacy"
# pg_advisory_xact_lock key: shared by checkouts choosing a shard, exclusive for a move's switch.
LAYOUT_LOCK = 0x55480001
_MOVING_STATES = ("preparing", "backfilling", "verified")
_WRITING_TO_TARGET = ("backfilling", "verified", "cutting_over")


@dataclass(frozen=True)
class Layout:
    """Where orders live now: the settled map and, during a move, the map they are moving to."""

    settled: tuple[ShardRange, ...]
    target: tuple[ShardRange, ...] | None = None
    state: str = "done"

    def write_alias(self, logical: int) -> str:
        ranges = self.target if self.target is not None and self.state in _WRITING_TO_TARGET else self.settled
        return alias_for_logical_in(ranges, logical)

    def read_aliases(self, logical: int) -> list[str]:
        if self.target is None:
            return [alias_for_logical_in(self.settled, logical)]
        if self.state not in _MOVING_STATES:
            return [alias_for_logical_in(self.target, logical)]
        return list(
            dict.fromkeys([alias_for_logical_in(self.target, logical), alias_for_logical_in(self.settled, logical)])
        )

    def aliases(self) -> list[str]:
        ranges = self.settled if self.target is None else (*self.target, *self.settled)
        if self.target is not None and self.state not in _MOVING_STATES:
            ranges = self.target
        return list(dict.fromkeys(r.alias for r in ranges))


def alias_for_logical_in(ranges: Sequence[ShardRange], logical: int) -> str:
    """The alias a shard map (ranges sorted by `first`, covering every logical shard) gives `logical`."""
    return ranges[bisect.bisect_right([r.first for r in ranges], logical) - 1].alias


def map_parse(value: str) -> tuple[ShardRange, ...]:
    """A shard map as text ("legacy", or the SHARD_MAP form) -> validated ranges."""
    if value == LEGACY_MAP:
        return (ShardRange(0, N_LOGICAL - 1, PRIMARY_ALIAS),)
    return tuple(_parse_shard_map(value, tuple(shard_aliases())))


def map_format(ranges: Sequence[ShardRange]) -> str:
    if [(r.first, r.last, r.alias) for r in ranges] == [(0, N_LOGICAL - 1, PRIMARY_ALIAS)]:
        return LEGACY_MAP
    return ",".join(f"{r.first}-{r.last}={r.alias}" for r in ranges)


def layout_from_settings() -> Layout:
    if not settings.ORDERS_SHARDED:
        return Layout(settled=map_parse(LEGACY_MAP))
    return Layout(settled=tuple(shard_map()))


_layout_cache: tuple[float, tuple[str, str, str] | None] | None = None
_LATEST_MOVE = "SELECT source_map, target_map, state FROM routers_shardmove ORDER BY id DESC LIMIT 1"


def layout_current(*, fresh: bool = False) -> Layout:
    """The layout every process agrees on: the latest move recorded on the primary, else the settings."""
    cached = _layout_cache
    if fresh or cached is None or time.monotonic() - cached[0] > settings.SHARD_LAYOUT_POLL_SECONDS:
        with connections[PRIMARY_ALIAS].cursor() as cursor:
            cursor.execute(_LATEST_MOVE)
            return _layout_remember(cursor.fetchone())
    return _layout_of(cached[1])


def _layout_remember(move: tuple[str, str, str] | None) -> Layout:
    global _layout_cache
    _layout_cache = (time.monotonic(), move)
    return _layout_of(move)


def _layout_of(move: tuple[str, str, str] | None) -> Layout:
    if move is None:
        return layout_from_settings()
    source_map, target_map, state = move
    if state == "done":
        return Layout(settled=map_parse(target_map))
    return Layout(settled=map_parse(source_map), target=map_parse(target_map), state=state)


def layout_forget() -> None:
    """Drop this process's copy of the layout (after a move changed it here, or a test reset it)."""
    global _layout_cache
    _layout_cache = None


def shard_map() -> list[ShardRange]:
    """The validated `SHARD_MAP` setting, or an even split over the shard aliases when it is empty."""
    return _parse_shard_map(_freeze(getattr(settings, "SHARD_MAP", "")), tuple(shard_aliases()))


def _freeze(value: str | Iterable[Sequence]) -> str | tuple:
    return value if isinstance(value, str) else tuple(tuple(item) for item in value)


@functools.lru_cache(maxsize=8)
def _parse_shard_map(value: str | tuple, aliases: tuple[str, ...]) -> list[ShardRange]:
    """Accepts "0-511=shard_0,512-1023=shard_1" (the environment's form) or ((0, 511, "shard_0"), ...)."""
    if not value:
        if not aliases:
            raise ImproperlyConfigured("ORDERS_SHARDED is on but SHARD_DATABASE_URLS names no shard")
        size = N_LOGICAL // len(aliases)
        bounds = [i * size for i in range(len(aliases))] + [N_LOGICAL]
        return [ShardRange(bounds[i], bounds[i + 1] - 1, alias) for i, alias in enumerate(aliases)]
    if isinstance(value, str):
        try:
            items = [(*span.split("-"), alias) for span, alias in (part.split("=") for part in value.split(","))]
            value = tuple((int(first), int(last), alias.strip()) for first, last, alias in items)
        except ValueError:
            raise ImproperlyConfigured(
                f"SHARD_MAP must read like '0-511=shard_0,512-1023=shard_1', not {value!r}"
            ) from None
    ranges = sorted(ShardRange(int(first), int(last), alias) for first, last, alias in value)
    _validate(ranges, aliases)
    return ranges


def _validate(ranges: list[ShardRange], aliases: tuple[str, ...]) -> None:
    expected_first = 0
    for r in ranges:
        if r.alias not in aliases:
            raise ImproperlyConfigured(f"SHARD_MAP names {r.alias!r}, which is not a shard alias ({aliases})")
        if r.first != expected_first or r.last < r.first:
            raise ImproperlyConfigured(
                f"SHARD_MAP must cover logical shards 0..{N_LOGICAL - 1} once each, in ranges without gaps or"
                f" overlaps; it goes wrong at {r.first}-{r.last} (expected a range starting at {expected_first})"
            )
        expected_first = r.last + 1
    if expected_first != N_LOGICAL:
        raise ImproperlyConfigured(f"SHARD_MAP leaves logical shards {expected_first}..{N_LOGICAL - 1} unmapped")


def shard_map_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check` (and every server start) refuses a shard map that misses a logical shard."""
    if not settings.ORDERS_SHARDED:
        return []
    try:
        shard_map()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="routers.E001")]
    return []


def order_id_compose(*, milliseconds: int, logical: int, sequence: int) -> int:
    """`milliseconds` since ORDER_ID_EPOCH; the sequence wraps at 4,096."""
    if not 0 <= milliseconds < 1 << TIME_BITS or not 0 <= logical < N_LOGICAL:
        raise ValueError(f"cannot make an order id of time {milliseconds} ms and logical shard {logical}")
    mask = (1 << SEQUENCE_BITS) - 1
    return (milliseconds << (LOGICAL_BITS + SEQUENCE_BITS)) | (logical << SEQUENCE_BITS) | (sequence & mask)


def order_id_logical_shard(order_id: int) -> int:
    return (order_id >> SEQUENCE_BITS) & (N_LOGICAL - 1)


def order_id_time(order_id: int) -> dt.datetime:
    return ORDER_ID_EPOCH + dt.timedelta(milliseconds=order_id >> (LOGICAL_BITS + SEQUENCE_BITS))


class OrderRouter:
    """Order-side models go where the caller chose (`.using(alias)`, or the instance's own database
    for related lookups), never to a default: an unrouted query raises UnroutedOrderQuery."""

    def _route(self, model, hints: dict) -> str:
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        raise UnroutedOrderQuery(f"{model._meta.label} needs a shard: query it with .using(<shard alias>)")

    def _is_order_side(self, model) -> bool:
        return placement_of(model._meta.app_label, model._meta.model_name) is Placement.ORDER_SHARDS

    def db_for_read(self, model, **hints) -> str | None:
        return self._route(model, hints) if self._is_order_side(model) else None

    def db_for_write(self, model, **hints) -> str | None:
        return self._route(model, hints) if self._is_order_side(model) else None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if self._is_order_side(type(obj1)) or self._is_order_side(type(obj2)):
            return obj1._state.db == obj2._state.db
        return None
