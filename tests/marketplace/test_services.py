"""Catalog writes: farmers' accounts, and stock adjustments racing real checkouts on PostgreSQL."""

import threading
from collections.abc import Callable

import pytest
from django.db import connections, transaction

from marketplace.models import Product
from marketplace.services import FARMERS_GROUP, product_stock_adjust
from marketplace.stock import InsufficientStock, stock_take
from outbox.models import OutboxEvent
from routers.replica import request_routing
from tests.marketplace.factories import ProductFactory, farmer_make


@pytest.mark.django_db
def test_a_registered_farmer_is_staff_in_the_farmers_group_with_product_permissions():
    farmer = farmer_make()

    user = farmer.user
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=FARMERS_GROUP).exists()
    assert user.has_perms(["marketplace.add_product", "marketplace.change_product", "marketplace.add_productimage"])
    assert not user.has_perm("marketplace.delete_product")


@pytest.mark.django_db
def test_an_adjustment_that_would_go_below_zero_changes_nothing():
    product = ProductFactory(stock=2)

    with pytest.raises(InsufficientStock):
        product_stock_adjust(product_id=product.pk, by=-3)

    product.refresh_from_db()
    assert product.stock == 2
    assert not OutboxEvent.objects.using("default").filter(key=f"product:{product.pk}").exists()


@pytest.mark.django_db
def test_an_adjustment_records_a_stock_changed_event_for_the_farms_warehouse():
    product = ProductFactory(stock=2, name="Kale", unit="bunch")

    product_stock_adjust(product_id=product.pk, by=5)

    [event] = OutboxEvent.objects.using("default").filter(key=f"product:{product.pk}")
    assert event.event_type == "stock_changed"
    assert event.published_at is None
    assert event.payload == {
        "product_id": product.pk,
        "farmer_id": product.farmer_id,
        "name": "Kale",
        "unit": "bunch",
        "quantity_delta": 5,
        "stock": 7,
    }


def _checkout_take(product_id: int, quantity: int) -> bool:
    """What a checkout does to stock: the stock module's guarded take, in its own transaction."""
    try:
        with transaction.atomic():
            stock_take(quantities={product_id: quantity})
    except InsufficientStock:
        return False
    return True


def _race(*workers: Callable[[], None]) -> None:
    """Run each worker in its own thread, all released at once; each closes its connections at its end."""
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_restocks_racing_checkouts_lose_no_update_and_never_go_below_zero():
    product = ProductFactory(stock=10)
    taken = []

    def farmer() -> None:
        for _ in range(25):
            product_stock_adjust(product_id=product.pk, by=2)

    def shopper() -> None:
        taken.extend(3 for _ in range(25) if _checkout_take(product.pk, 3))

    _race(*[farmer] * 4, *[shopper] * 4)

    assert Product.objects.get(pk=product.pk).stock == 10 + 4 * 25 * 2 - sum(taken)
    assert Product.objects.get(pk=product.pk).stock >= 0


def _farmer_adjust(product_id: int, by: int) -> int | None:
    """A farmer's stock adjustment: the new stock, or None when it was refused."""
    try:
        return product_stock_adjust(product_id=product_id, by=by)
    except InsufficientStock:
        return None


@pytest.mark.django_db(transaction=True)
def test_farmers_taking_stock_racing_checkouts_never_go_below_zero_and_refusals_change_nothing():
    product = ProductFactory(stock=50)
    adjustments, takes = [], []

    def farmer() -> None:
        adjustments.extend(_farmer_adjust(product.pk, -1) for _ in range(20))

    def shopper() -> None:
        takes.extend(_checkout_take(product.pk, 2) for _ in range(20))

    _race(*[farmer] * 4, *[shopper] * 4)

    # 240 units asked of 50: most calls were refused, and every call answered (none raised).
    applied = [stock for stock in adjustments if stock is not None]
    assert (len(adjustments), len(takes)) == (80, 80)
    assert Product.objects.get(pk=product.pk).stock == 50 - len(applied) - 2 * sum(takes)
    assert min(applied, default=0) >= 0


@pytest.mark.django_db
def test_the_farmer_who_adjusts_stock_reads_the_primary_afterwards():
    product = ProductFactory(stock=2)

    with request_routing(pinned=False) as routing:
        product_stock_adjust(product_id=product.pk, by=5)

    assert routing.wrote
