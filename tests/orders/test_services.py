import datetime as dt
import uuid
from decimal import Decimal

import pytest

from orders.models import FarmerOrderLine, Order, ReservationStatus, StockReservation
from orders.services import (
    BasketLine,
    CheckoutRefused,
    DeliveryDetails,
    customer_for_checkout,
    customer_register,
    order_place,
)
from outbox.models import OutboxEvent
from routers.sharding import shard_for_customer
from tests.orders.factories import (
    CustomerFactory,
    ProductFactory,
    basket_line,
    customer_on,
    delivery_details,
)

SHARDED = ["default", "shard_0", "shard_1"]


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize("alias", ["shard_0", "shard_1"])
def test_an_order_lands_on_its_customers_shard_with_its_event(alias):
    customer = customer_on(alias)
    tomatoes, eggs = ProductFactory(price=Decimal("3.50"), stock=5), ProductFactory(price=Decimal("5.00"), stock=5)

    placed = order_place(
        customer=customer,
        lines=[basket_line(tomatoes, 2), basket_line(eggs, 1)],
        delivery=delivery_details(customer.email),
        idempotency_key=uuid.uuid4(),
    )

    order = Order.objects.using(alias).get(id=placed.order_id)
    event = OutboxEvent.objects.using(alias).get(key=str(order.id))
    assert order.total == Decimal("12.00")
    assert event.event_type == "order_placed"
    assert event.payload["total"] == "12.00"
    assert event.payload["lines"][0] | {"product_id": 0} == {
        "product_id": 0,
        "farmer_id": tomatoes.farmer_id,
        "name": tomatoes.name,
        "unit": "lb",
        "quantity": 2,
        "unit_price": "3.50",
        "line_total": "7.00",
    }
    assert set(event.payload) == {
        "order_id", "reference", "customer_id", "email", "phone", "delivery_date", "placed_at", "total", "lines"
    }  # fmt: skip
    tomatoes.refresh_from_db()
    assert tomatoes.stock == 3


@pytest.mark.django_db(databases=SHARDED)
def test_a_placed_order_confirms_its_reservation_and_shows_farmers_their_lines():
    customer, product = CustomerFactory(), ProductFactory()

    placed = order_place(
        customer=customer, lines=[basket_line(product, 4)], delivery=delivery_details(), idempotency_key=uuid.uuid4()
    )

    assert StockReservation.objects.get(order_id=placed.order_id).status == ReservationStatus.CONFIRMED
    farmer_line = FarmerOrderLine.objects.get(farmer=product.farmer)
    assert (farmer_line.reference, farmer_line.quantity, farmer_line.name) == (placed.reference, 4, product.name)


# With stock 3 the first attempt takes the last units: the replay must still find that order,
# not report them sold out.
@pytest.mark.parametrize(("stock", "left"), [(10, 7), (3, 0)])
@pytest.mark.django_db(databases=SHARDED)
def test_a_replayed_submit_returns_the_same_order_and_takes_stock_once(stock, left):
    customer, product = CustomerFactory(), ProductFactory(stock=stock)
    key = uuid.uuid4()
    submit = {"customer": customer, "lines": [basket_line(product, 3)], "delivery": delivery_details()}

    first = order_place(**submit, idempotency_key=key)
    second = order_place(**submit, idempotency_key=key)

    product.refresh_from_db()
    assert (second.order_id, second.replayed) == (first.order_id, True)
    assert product.stock == left
    assert Order.objects.using(shard_for_customer(customer.id)).filter(customer_id=customer.id).count() == 1


def _refusal(**changes) -> tuple[str, int]:
    customer, product = CustomerFactory(), ProductFactory(stock=5, price=Decimal("2.00"))
    line = BasketLine(product_id=product.id, quantity=changes.pop("quantity", 1), unit_price=Decimal("2.00"))
    for field, value in changes.items():
        setattr(product, field, value)
    product.save()
    with pytest.raises(CheckoutRefused) as refused:
        order_place(customer=customer, lines=[line], delivery=delivery_details(), idempotency_key=uuid.uuid4())
    product.refresh_from_db()
    return str(refused.value), product.stock


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"is_active": False}, "is no longer available"),
        ({"price": Decimal("2.50")}, "changed from $2.00 to $2.50"),
        ({"quantity": 6}, "Only 5 of"),
        ({"quantity": 0}, "between 1 and 99"),
        ({"quantity": -3}, "between 1 and 99"),
        ({"quantity": 10**9}, "between 1 and 99"),
    ],
)
def test_a_basket_that_cannot_be_ordered_is_refused_and_changes_nothing(changes, message):
    refusal, stock_after = _refusal(**changes)

    assert message in refusal
    assert stock_after == 5
    assert not StockReservation.objects.exists()


@pytest.mark.django_db(databases=SHARDED)
def test_an_address_or_a_pickup_point_is_required():
    customer, product = CustomerFactory(), ProductFactory()
    nowhere = DeliveryDetails(email="a@example.com", phone="555 0100 200")

    with pytest.raises(CheckoutRefused, match="address or a pickup point"):
        order_place(customer=customer, lines=[basket_line(product)], delivery=nowhere, idempotency_key=uuid.uuid4())


@pytest.mark.django_db(databases=["default"])
def test_a_guest_who_registers_later_owns_their_guest_orders_customer():
    guest = customer_for_checkout(user=None, email="Pat@Example.com")

    user = customer_register(email="pat@example.com", password="a long passphrase")

    assert customer_for_checkout(user=user, email="other@example.com") == guest
    guest.refresh_from_db()
    assert guest.user == user


@pytest.mark.django_db(databases=SHARDED)
def test_with_sharding_off_orders_go_to_the_primarys_legacy_tables(settings):
    settings.ORDERS_SHARDED = False
    customer, product = CustomerFactory(), ProductFactory()

    placed = order_place(
        customer=customer, lines=[basket_line(product)], delivery=delivery_details(), idempotency_key=uuid.uuid4()
    )

    assert Order.objects.using("default").get(id=placed.order_id).reference == placed.reference
    assert OutboxEvent.objects.using("default").filter(key=str(placed.order_id)).exists()
    assert not any(Order.objects.using(alias).exists() for alias in ("shard_0", "shard_1"))


@pytest.mark.django_db(databases=SHARDED)
def test_a_delivery_date_that_moved_since_the_review_is_explained():
    customer, product = CustomerFactory(), ProductFactory(stock=5)

    with pytest.raises(CheckoutRefused, match="earliest delivery date is now"):
        order_place(
            customer=customer,
            lines=[basket_line(product)],
            delivery=delivery_details(),
            idempotency_key=uuid.uuid4(),
            delivery_date_shown=dt.date(2000, 1, 1),
        )

    product.refresh_from_db()
    assert product.stock == 5
