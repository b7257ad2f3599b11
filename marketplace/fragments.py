"""Catalog data and rendered fragments, kept a few seconds for shoppers whose reads may lag anyway.

A shopper who is not pinned to the primary is promised the catalog as the replica has it, at most
REPLICA_MAX_LAG_SECONDS old. A fragment is kept for CATALOG_CACHE_SECONDS at most, and never so long
that the fragment's age plus the replica's lag could pass that bound: the lag as last measured, plus
what it may have grown by since (the router measures it every REPLICA_HEALTH_CHECK_SECONDS), so the
promise holds while the database and the template engine are spared on most pages of a busy catalog.
Whoever must see the latest data (a farmer after an edit, anything inside a transaction) never
reads from here. Whatever is built from fragments and kept in turn (a whole page,
marketplace/pages.py) lives no longer than its oldest fragment: `ingredients_born`.
"""

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from routers.replica import reads_must_be_fresh, replica_health

T = TypeVar("T")
KEY_PREFIX = "catalog:"

# The birth times of the fragments used inside an `ingredients_born()` block.
_births: ContextVar[list[float] | None] = ContextVar("catalog_fragment_births", default=None)


def catalog_cache_seconds() -> float:
    """How long catalog data read now may be kept (0 or less: not at all)."""
    worst_lag = replica_health.last_lag + settings.REPLICA_HEALTH_CHECK_SECONDS
    return min(settings.CATALOG_CACHE_SECONDS, settings.REPLICA_MAX_LAG_SECONDS - worst_lag)


def catalog_cached(parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s result, from the cache when the caller may read lagging data."""
    seconds = catalog_cache_seconds()
    if seconds <= 0 or reads_must_be_fresh():
        return compute()
    key = KEY_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()
    entry = cache.get(key)
    if entry is None:
        entry = (time.time(), compute())
        cache.set(key, entry, seconds)
    births = _births.get()
    if births is not None:
        births.append(entry[0])
    return entry[1]


@contextlib.contextmanager
def ingredients_born() -> Iterator[list[float]]:
    """Collects, into the list it yields, when each fragment read inside the block was computed."""
    births: list[float] = []
    token = _births.set(births)
    try:
        yield births
    finally:
        _births.reset(token)
