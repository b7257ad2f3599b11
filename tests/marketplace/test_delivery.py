import datetime as dt

import pytest

from marketplace.delivery import common_delivery_date, next_delivery_date

EVERY_DAY = range(7)
CUTOFF = dt.time(20, 0)
THURSDAY_MORNING = dt.datetime(2026, 12, 3, 9, 0)
THURSDAY_NIGHT = dt.datetime(2026, 12, 3, 21, 0)


def test_an_order_before_the_cutoff_is_delivered_the_next_day():
    assert next_delivery_date(now=THURSDAY_MORNING, cutoff=CUTOFF, delivery_days=EVERY_DAY) == dt.date(2026, 12, 4)


def test_an_order_after_the_cutoff_is_delivered_the_day_after_next():
    assert next_delivery_date(now=THURSDAY_NIGHT, cutoff=CUTOFF, delivery_days=EVERY_DAY) == dt.date(2026, 12, 5)


def test_a_farm_delivers_only_on_its_own_weekdays():
    tuesdays = [1]
    assert next_delivery_date(now=THURSDAY_MORNING, cutoff=CUTOFF, delivery_days=tuesdays) == dt.date(2026, 12, 8)


def test_a_basket_waits_for_the_first_day_every_farm_can_make():
    farms = [(CUTOFF, EVERY_DAY), (CUTOFF, [0, 2])]  # the second farm: Mondays and Wednesdays
    assert common_delivery_date(now=THURSDAY_MORNING, farms=farms) == dt.date(2026, 12, 7)


def test_farms_with_no_common_weekday_are_an_error():
    with pytest.raises(ValueError, match="share no delivery weekday"):
        common_delivery_date(now=THURSDAY_MORNING, farms=[(CUTOFF, [0]), (CUTOFF, [1])])
