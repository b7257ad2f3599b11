"""Many shoppers racing for the same stock, on real PostgreSQL servers with real threads."""

import threading
import uuid

import pytest
from django.db import connections

from orders.models import Order, StockReservation
from orders.services import CheckoutRefused, OrderInProgress, order_place
from routers.sharding import shard_for_customer
from tests.orders.factories import CustomerFactory, ProductFactory, basket_line, delivery_details

SHOPPERS = 64


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_64_shoppers_racing_for_the_last_10_units_buy_exactly_10():
    product = ProductFactory(stock=10)
    other = ProductFactory(stock=1000)
    customers = [CustomerFactory() for _ in range(SHOPPERS)]
    start = threading.Barrier(SHOPPERS)
    outcomes: list[object] = []

    def shop(customer, reverse: bool) -> None:
        # Half the baskets list the products the other way round: locks must still not deadlock.
        lines = [basket_line(product, 1), basket_line(other, 1)]
        try:
            start.wait()
            outcomes.append(
                order_place(
                    customer=customer,
                    lines=lines[::-1] if reverse else lines,
                    delivery=delivery_details(customer.email),
                    idempotency_key=uuid.uuid4(),
                )
            )
        except Exception as exc:  # every failure is collected and judged below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=shop, args=(c, i % 2 == 0)) for i, c in enumerate(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    placed = [o for o in outcomes if not isinstance(o, Exception)]
    errors = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, CheckoutRefused)]
    product.refresh_from_db()
    other.refresh_from_db()
    assert errors == []
    assert len(placed) == 10
    assert (product.stock, other.stock) == (0, 990)
    for order in placed:
        customer_id = StockReservation.objects.get(order_id=order.order_id).customer_id
        assert Order.objects.using(shard_for_customer(customer_id)).filter(id=order.order_id).exists()


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_a_form_submitted_twice_at_once_places_one_order():
    product, customer = ProductFactory(stock=10), CustomerFactory()
    key, start = uuid.uuid4(), threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        try:
            start.wait()
            outcomes.append(
                order_place(
                    customer=customer,
                    lines=[basket_line(product, 3)],
                    delivery=delivery_details(),
                    idempotency_key=key,
                ).order_id
            )
        except Exception as exc:  # an in-progress answer is fine too; it is judged below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    product.refresh_from_db()
    order_ids = {o for o in outcomes if isinstance(o, int)}
    assert all(isinstance(o, int | OrderInProgress) for o in outcomes)
    assert len(order_ids) == 1
    assert product.stock == 7
    assert Order.objects.using(shard_for_customer(customer.id)).count() == 1
