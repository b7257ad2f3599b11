"""A checkout process killed between its steps, then `reconcile_orders`: stock and orders agree."""

import os
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from orders.models import FarmerOrderLine, Order, ReservationStatus, StockReservation
from routers.sharding import shard_for_customer
from tests.orders.factories import CustomerFactory, ProductFactory, customer_on

# Runs order_place in a child process that dies (os._exit: no cleanup, like a killed worker) at
# the step named by argv[1]: before writing the order to its shard, or before confirming it.
CHECKOUT_THEN_DIE = """
import os, sys, uuid, django
django.setup()
from orders import services
from orders.models import Customer
from tests.orders.factories import basket_line, delivery_details
from marketplace.models import Product

def die(*args, **kwargs):
    os._exit(137)

setattr(services, sys.argv[1], die)
customer = Customer.objects.get(id=int(sys.argv[2]))
product = Product.objects.using("default").get(id=int(sys.argv[3]))  # just committed: the replica may lag
services.order_place(
    customer=customer, lines=[basket_line(product, 4)], delivery=delivery_details(), idempotency_key=uuid.uuid4()
)
"""


def checkout_killed_at(step: str, customer, product, **env: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHECKOUT_THEN_DIE, step, str(customer.id), str(product.id)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "urbanharvest.settings.test", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 137, child.stderr


def reconcile() -> str:
    out = StringIO()
    call_command("reconcile_orders", stdout=out)
    return out.getvalue()


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_stock_reserved_by_a_process_killed_before_writing_its_order_comes_back_after_expiry():
    customer, product = CustomerFactory(), ProductFactory(stock=10)
    checkout_killed_at("_order_write", customer, product, ORDER_RESERVATION_SECONDS="1")
    product.refresh_from_db()
    assert product.stock == 6

    time.sleep(1.1)
    report = reconcile()

    product.refresh_from_db()
    assert "released (did): 1" in report
    assert product.stock == 10
    assert StockReservation.objects.get().status == ReservationStatus.RELEASED
    assert not Order.objects.using(shard_for_customer(customer.id)).exists()


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_a_reservation_not_yet_expired_is_left_for_the_checkout_still_writing_it():
    customer, product = CustomerFactory(), ProductFactory(stock=10)
    checkout_killed_at("_order_write", customer, product)

    report = reconcile()

    product.refresh_from_db()
    assert "pending (not expired yet): 1" in report
    assert product.stock == 6


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_an_order_written_by_a_process_killed_before_confirming_is_confirmed_and_keeps_its_stock():
    customer, product = CustomerFactory(), ProductFactory(stock=10)
    checkout_killed_at("reservation_confirm", customer, product)

    report = reconcile()

    product.refresh_from_db()
    order = Order.objects.using(shard_for_customer(customer.id)).get()
    assert "confirmed (did): 1" in report
    assert product.stock == 6
    assert StockReservation.objects.get(order_id=order.id).status == ReservationStatus.CONFIRMED
    assert FarmerOrderLine.objects.get(order_id=order.id).quantity == 4


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_reconcile_leaves_reservations_alone_while_their_shard_cannot_be_asked(request):
    customer, product = customer_on("shard_0"), ProductFactory(stock=10)
    checkout_killed_at("_order_write", customer, product, ORDER_RESERVATION_SECONDS="1")
    request.getfixturevalue("shard_0_stopped")
    time.sleep(1.1)

    out, err = StringIO(), StringIO()
    call_command("reconcile_orders", stdout=out, stderr=err)

    product.refresh_from_db()
    assert "shard unreachable, left as they are: 1" in err.getvalue()
    assert product.stock == 6
