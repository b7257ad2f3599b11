"""Catalog data and rendered fragments, kept a few seconds for shoppers whose reads may lag anyway.

A shopper who is not pinned to the primary is promised the catalog as the replica has it, at most
REPLICA_MAX_LAG_SECONDS old. A fragment is kept for CATALOG_CACHE_SECONDS at most, and never so long
that the replica's last measured lag plus the fragment's age passes that bound, so the promise
holds while the database and the template engine are spared on most pages of a busy catalog.
Whoever must see the latest data (a farmer after an edit, anything inside a transaction) never
reads from here.
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from routers.replica import reads_must_be_fresh, replica_health

T = TypeVar("T")
KEY_PREFIX = "catalog:"


def _seconds() -> float:
    return min(settings.CATALOG_CACHE_SECONDS, settings.REPLICA_MAX_LAG_SECONDS - replica_health.last_lag)


def catalog_cached(parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`'s result, from the cache when the caller may read lagging data."""
    seconds = _seconds()
    if seconds <= 0 or reads_must_be_fresh():
        return compute()
    key = KEY_PREFIX + hashlib.sha256(repr(parts).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value
