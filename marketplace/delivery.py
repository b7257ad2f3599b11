"""Next-day delivery dates: an order placed before a farm's cutoff makes that farm's next delivery day
after today; after the cutoff, the one after that."""

import datetime as dt
from collections.abc import Iterable


def next_delivery_date(*, now: dt.datetime, cutoff: dt.time, delivery_days: Iterable[int]) -> dt.date:
    """The first date a farm delivering on `delivery_days` (0 = Monday) can bring an order placed at
    `now` (local time). Raises ValueError when the farm delivers on no day at all."""
    days = set(delivery_days)
    if not days:
        raise ValueError("a farm must deliver on at least one weekday")
    earliest = now.date() + dt.timedelta(days=1 if now.time() < cutoff else 2)
    while earliest.weekday() not in days:
        earliest += dt.timedelta(days=1)
    return earliest


def common_delivery_date(*, now: dt.datetime, farms: Iterable[tuple[dt.time, Iterable[int]]]) -> dt.date:
    """The first date on which every farm of a basket, given as (cutoff, delivery_days), can deliver."""
    farms = [(cutoff, set(days)) for cutoff, days in farms]
    if not farms:
        raise ValueError("an empty basket has no delivery date")
    candidate = max(next_delivery_date(now=now, cutoff=cutoff, delivery_days=days) for cutoff, days in farms)
    for _ in range(7):
        if all(candidate.weekday() in days for _, days in farms):
            return candidate
        candidate += dt.timedelta(days=1)
    raise ValueError("these farms share no delivery weekday")
