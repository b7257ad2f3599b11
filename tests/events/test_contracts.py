import datetime as dt
from decimal import Decimal

import pytest

from events.contracts import order_placed_decode, stock_changed_decode
from events.processing import MalformedEvent
from orders.selectors import order_get
from outbox.models import OutboxEvent
from routers.sharding import shard_for_order
from tests.eventstack import order_placed_payload
from tests.orders.factories import placed_order


class FarmerStub:
    def __init__(self, farmer_id: int):
        self.id = farmer_id


def test_an_order_placed_payload_decodes_with_exact_money_and_dates():
    payload = order_placed_payload(farmers=[FarmerStub(3), FarmerStub(3), FarmerStub(5)], quantity=3)

    order = order_placed_decode(payload)

    assert order.total == Decimal("31.50")
    assert order.delivery_date == dt.date.fromisoformat(payload["delivery_date"])
    assert {farmer: len(lines) for farmer, lines in order.lines_by_farmer().items()} == {3: 2, 5: 1}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p.pop("reference"), "has no 'reference'"),
        (lambda p: p["lines"][0].pop("farmer_id"), "has no 'farmer_id'"),
        (lambda p: p.update(total="twelve"), "is invalid"),
        (lambda p: p.update(lines=[]), "has no lines"),
    ],
)
def test_a_payload_missing_or_mangling_a_field_is_malformed_and_says_which(change, reason):
    payload = order_placed_payload(farmers=[FarmerStub(3)])
    change(payload)

    with pytest.raises(MalformedEvent, match=reason):
        order_placed_decode(payload)


def test_a_stock_changed_payload_missing_a_field_is_malformed_and_says_which():
    with pytest.raises(MalformedEvent, match="stock_changed payload has no 'stock'"):
        stock_changed_decode({"product_id": 7, "farmer_id": 1, "name": "Kale", "unit": "bunch", "quantity_delta": 2})


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_the_event_checkout_writes_decodes_as_the_order_it_placed():
    placed = placed_order(quantity=3)
    order = order_get(order_id=placed.order_id)
    [event] = OutboxEvent.objects.using(shard_for_order(placed.order_id)).filter(key=str(placed.order_id))

    decoded = order_placed_decode(event.payload)

    assert (decoded.order_id, decoded.reference, decoded.total) == (order.id, order.reference, order.total)
    assert decoded.delivery_date == order.delivery_date
    assert [(line.product_id, line.quantity) for line in decoded.lines] == [
        (line.product_id, line.quantity) for line in order.lines.all()
    ]
