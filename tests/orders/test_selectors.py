import pytest
from django.utils import timezone

from orders.selectors import farmer_order_lines, order_get, orders_for_delivery_date
from tests.orders.factories import FarmerFactory, ProductFactory, customer_on, placed_order

SHARDED = ["default", "shard_0", "shard_1"]


@pytest.mark.django_db(databases=SHARDED)
def test_staff_see_a_delivery_days_orders_from_every_shard_merged_in_placing_order():
    product = ProductFactory()
    placed = [placed_order(customer=customer_on(alias), product=product) for alias in ("shard_1", "shard_0", "shard_1")]
    day = order_get(order_id=placed[0].order_id).delivery_date

    delivery_day = orders_for_delivery_date(day=day)

    assert [order.reference for order in delivery_day.orders] == [p.reference for p in placed]
    assert delivery_day.unreachable == []
    assert orders_for_delivery_date(day=day.replace(year=day.year + 1)).orders == []


@pytest.mark.django_db(databases=SHARDED, transaction=True)
def test_a_stopped_shard_is_named_and_the_other_shards_orders_still_listed(shard_0_stopped):
    kept = placed_order(customer=customer_on("shard_1"))
    day = order_get(order_id=kept.order_id).delivery_date

    delivery_day = orders_for_delivery_date(day=day)

    assert [order.reference for order in delivery_day.orders] == [kept.reference]
    assert delivery_day.unreachable == ["shard_0"]


@pytest.mark.django_db(databases=SHARDED)
def test_a_farmer_picks_and_packs_only_their_own_lines():
    mine, theirs = ProductFactory(), ProductFactory()
    placed_order(product=mine, quantity=3)
    placed_order(product=theirs, quantity=5)

    lines = list(farmer_order_lines(farmer=mine.farmer))

    assert [(line.name, line.quantity) for line in lines] == [(mine.name, 3)]
    assert list(farmer_order_lines(farmer=FarmerFactory())) == []
    assert lines[0].delivery_date > timezone.localdate()
