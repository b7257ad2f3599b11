"""Catalog reads on the streaming replica, and every other query on the primary.

A catalog read (farmers, categories, products, images) goes to the `replica` alias unless
- the request is pinned to the primary: it saved or deleted a catalog object (or a service asked,
  `pin_this_request`), or it carries the pin cookie a recent one set (read-your-writes,
  `REPLICA_PIN_SECONDS`);
- a transaction is open on the primary (whatever reads inside it must see what it wrote);
- the replica is down or lags more than `REPLICA_MAX_LAG_SECONDS` (checked at most once every
  `REPLICA_HEALTH_CHECK_SECONDS` per process, transitions logged).
Writes, auth, sessions and everything order-related stay on the primary. The per-request state is
a contextvar set by `routers.middleware.ReplicaPinMiddleware`, so threads and requests never share it.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.conf import settings
from django.db import DatabaseError, connections

from routers.placement import PRIMARY_ALIAS, REPLICA_ALIAS

logger = logging.getLogger(__name__)

# "app_label.model_name" of the models the storefront may read from the replica.
CATALOG_MODELS = frozenset(
    {"marketplace.farmer", "marketplace.category", "marketplace.product", "marketplace.productimage"}
)

# Lag is zero while the replica has replayed everything it received (an idle primary writes no WAL,
# so the last replayed transaction's age would otherwise read as lag). That holds only while it is
# receiving: a standby cut off from its primary has replayed everything too, and serves frozen data.
LAG_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
           END,
           EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
           pg_last_wal_receive_lsn()::text
"""
# After a quiet spell the last replayed commit is old, so the first WAL that arrives (the next commit,
# a checkpoint, a standby snapshot) reads as a lag of the whole spell until it is replayed, a moment
# later. A lag over the bound is believed only if the replica has still not replayed what it had
# received after this long (its lag is then at least that); otherwise the lag is the time it took.
LAG_RECHECK_SECONDS = 0.25
LAG_RECHECK_INTERVAL = 0.02
CAUGHT_UP_SQL = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"


class Cursor(Protocol):
    """A DB-API cursor: a Django connection's, or a raw psycopg2 one."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...
    def fetchone(self) -> Any: ...


class ReplicaLag(NamedTuple):
    """The replica's state as one measurement found it."""

    in_recovery: bool  # False: not a standby at all
    streaming: bool
    lag_s: float


def replica_lag_measure(cursor: Cursor, *, recheck_s: float) -> ReplicaLag:
    """Measure the replica's lag on `cursor` (a DB-API cursor on the replica: the router's Django
    connection, or a health probe's own), looking again for up to `recheck_s` at a lag over
    `REPLICA_MAX_LAG_SECONDS` before believing it (see LAG_RECHECK_SECONDS)."""
    cursor.execute(LAG_SQL)
    in_recovery, lag, streaming, received = cursor.fetchone()
    lag = float(lag)
    if in_recovery and streaming and lag > settings.REPLICA_MAX_LAG_SECONDS:
        lag = _time_to_replay(cursor, received, within_s=recheck_s) or lag
    return ReplicaLag(in_recovery=in_recovery, streaming=streaming, lag_s=lag)


def _time_to_replay(cursor: Cursor, received: str, *, within_s: float) -> float | None:
    """How long the replica took to replay up to `received`, or None if it has not within `within_s`."""
    started = time.monotonic()
    while (waited := time.monotonic() - started) < within_s:
        time.sleep(LAG_RECHECK_INTERVAL)
        cursor.execute(CAUGHT_UP_SQL, (received,))
        if cursor.fetchone()[0]:
            return waited + LAG_RECHECK_INTERVAL
    return None


@dataclass
class RequestRouting:
    """What the router knows about the request (or task) in progress."""

    pinned: bool = False
    wrote: bool = False
    used_replica: bool = False


_request: ContextVar[RequestRouting | None] = ContextVar("replica_request_routing", default=None)


def is_catalog(model) -> bool:
    return f"{model._meta.app_label}.{model._meta.model_name}" in CATALOG_MODELS


@contextlib.contextmanager
def request_routing(*, pinned: bool) -> Iterator[RequestRouting]:
    """Route the queries run inside the block as one request's, pinned to the primary or not."""
    state = RequestRouting(pinned=pinned)
    token = _request.set(state)
    try:
        yield state
    finally:
        _request.reset(token)


@contextlib.contextmanager
def reads_from_primary() -> Iterator[None]:
    """Every catalog read inside the block goes to the primary (commands that must see their own
    writes, admin screens, retries after the replica failed)."""
    with request_routing(pinned=True):
        yield


def pin_this_request() -> None:
    """This request wrote catalog data its user must see: its reads, and the user's next ones for
    REPLICA_PIN_SECONDS, go to the primary. Outside a request it does nothing."""
    state = _request.get()
    if state is not None:
        state.wrote = True


def replica_used_by_this_request() -> bool:
    state = _request.get()
    return state is not None and state.used_replica


class ReplicaHealth:
    """The replica's usability as last measured, shared by the threads of one process and
    re-measured when older than `REPLICA_HEALTH_CHECK_SECONDS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._usable = True
        self.last_lag = 0.0

    def usable(self) -> bool:
        if time.monotonic() - self._checked_at < settings.REPLICA_HEALTH_CHECK_SECONDS:
            return self._usable
        # One thread measures; the others keep the last answer rather than queue behind it.
        if not self._lock.acquire(blocking=False):
            return self._usable
        try:
            self._record(*self._measure())
        finally:
            self._lock.release()
        return self._usable

    def mark_unusable(self, reason: str) -> None:
        """Take the replica out of service now (a query on it just failed), and drop this thread's
        broken connection to it so that the next health check reconnects."""
        with self._lock:
            self._record(False, reason)
        connections[REPLICA_ALIAS].close()

    def reset(self) -> None:
        with self._lock:
            self._checked_at = float("-inf")
            self._usable, self.last_lag = True, 0.0

    def _measure(self) -> tuple[bool, str]:
        connection = connections[REPLICA_ALIAS]
        try:
            with connection.cursor() as cursor:
                in_recovery, streaming, lag = replica_lag_measure(cursor, recheck_s=LAG_RECHECK_SECONDS)
        except DatabaseError as exc:
            # A dead connection would fail the next check too; the next one must reconnect.
            connection.close()
            first_line = next(iter(str(exc).strip().splitlines()), type(exc).__name__)
            return False, f"unreachable: {first_line}"
        if not in_recovery:
            # Not a standby at all (a test mirror or a replica-less deployment): the same data.
            return True, "not a standby"
        if not streaming:
            return False, "not streaming from the primary"
        self.last_lag = lag
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            return False, f"lagging {lag:.1f}s (bound {settings.REPLICA_MAX_LAG_SECONDS}s)"
        return True, f"lag {lag:.3f}s"

    def _record(self, usable: bool, reason: str) -> None:
        self._checked_at = time.monotonic()
        if usable != self._usable:
            if usable:
                logger.warning("replica back in service (%s): catalog reads return to it", reason)
            else:
                logger.warning("replica out of service (%s): catalog reads go to the primary", reason)
        self._usable = usable


replica_health = ReplicaHealth()


def reads_must_be_fresh() -> bool:
    """True when catalog reads issued now must see the primary's latest data: the request is pinned
    or wrote, or a transaction is open. Otherwise they may lag, within REPLICA_MAX_LAG_SECONDS."""
    state = _request.get()
    if state is not None and (state.pinned or state.wrote):
        return True
    return connections[PRIMARY_ALIAS].in_atomic_block


def catalog_read_alias() -> str:
    """Where a catalog read issued now should go."""
    if reads_must_be_fresh() or REPLICA_ALIAS not in settings.DATABASES or not replica_health.usable():
        return PRIMARY_ALIAS
    state = _request.get()
    if state is not None:
        state.used_replica = True
    return REPLICA_ALIAS


class ReplicaRouter:
    """Catalog reads to the replica when that is safe; every write, and every other model, to the
    primary. Order-side models never get here: the OrderRouter before it insists on a shard."""

    def db_for_read(self, model, **hints) -> str:
        return catalog_read_alias() if is_catalog(model) else PRIMARY_ALIAS

    def db_for_write(self, model, **hints) -> str:
        # Saving or deleting a catalog object (Django passes it as the `instance` hint) is an edit
        # its author must see. A bare counter update, such as a checkout's stock take, is not: it
        # would pin every buyer to the primary. Services that want one pin with pin_this_request().
        if is_catalog(model) and "instance" in hints:
            pin_this_request()
        return PRIMARY_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        """The replica holds the primary's own rows, so objects read from either may be related."""
        same_data = {PRIMARY_ALIAS, REPLICA_ALIAS}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None
