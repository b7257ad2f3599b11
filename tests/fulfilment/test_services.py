"""Manifests in the private storage (moto S3) and stock pushes to warehouses (a local fake server)."""

import csv
import io
import threading

import pytest
import requests
from django.conf import settings
from django.core.files.storage import storages
from django.db import connections, transaction

from events.contracts import order_placed_decode, stock_changed_decode
from fulfilment.models import DeliveryManifest, WarehouseEndpoint
from fulfilment.services import inventory_order_push, inventory_stock_push, manifest_order_add
from tests.eventstack import order_placed_payload
from tests.marketplace.factories import FarmerFactory


def order_for(*farmers, quantity: int = 2):
    return order_placed_decode(order_placed_payload(farmers=list(farmers), quantity=quantity))


def csv_rows(manifest: DeliveryManifest) -> list[dict]:
    response = requests.get(storages["manifests"].url(manifest.csv_name), timeout=5)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


@pytest.mark.django_db(databases=["default"])
def test_each_order_updates_the_farmers_manifest_for_its_delivery_date():
    farmer = FarmerFactory(farm_name="Hillside")
    first, second = order_for(farmer, quantity=2), order_for(farmer, quantity=3)

    manifest_order_add(order=first)
    [manifest] = manifest_order_add(order=second)

    rows = csv_rows(manifest)
    html = requests.get(storages["manifests"].url(manifest.html_name), timeout=5).text
    assert (manifest.order_count, manifest.line_count) == (2, 2)
    assert [(row["order_reference"], row["quantity"]) for row in rows] == [
        (first.reference, "2"),
        (second.reference, "3"),
    ]
    assert "Hillside: deliveries for" in html
    assert '<td class="qty">5</td>' in html


@pytest.mark.django_db(databases=["default"])
def test_manifests_are_private_and_reached_only_through_a_signed_link():
    [manifest] = manifest_order_add(order=order_for(FarmerFactory()))

    signed = storages["manifests"].url(manifest.csv_name)
    bare = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}/private/manifests/{manifest.csv_name}"

    assert f"X-Amz-Expires={settings.PRIVATE_URL_EXPIRE_SECONDS}" in signed
    assert requests.get(signed, timeout=5).status_code == 200
    assert requests.get(bare, timeout=5).status_code == 403


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_two_orders_added_to_the_same_manifest_at_once_both_end_up_in_it():
    farmer = FarmerFactory()
    orders = [order_for(farmer), order_for(farmer)]
    barrier = threading.Barrier(2)

    def add(order) -> None:
        barrier.wait()
        with transaction.atomic(using="default"):
            manifest_order_add(order=order)
        connections.close_all()

    threads = [threading.Thread(target=add, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    manifest = DeliveryManifest.objects.get(farmer=farmer)
    assert manifest.order_count == 2
    assert {row["order_reference"] for row in csv_rows(manifest)} == {order.reference for order in orders}


@pytest.mark.django_db(databases=["default"])
def test_stock_changes_go_to_each_farmers_own_warehouse_only(fake_http):
    connected, unconnected = FarmerFactory(), FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=connected, url=fake_http.url)
    order = order_for(connected, unconnected, quantity=4)

    told = inventory_order_push(event_id="ev-1", order=order)

    [request] = fake_http.requests
    assert told == 1
    assert request["headers"]["Idempotency-Key"] == f"ev-1:{connected.id}"
    assert request["body"]["changes"] == [
        {"product_id": 1000, "name": "Heirloom tomatoes 0", "unit": "lb", "quantity_delta": -4}
    ]


def stock_change(farmer_id: int, delta: int = 12):
    return stock_changed_decode(
        {"product_id": 7, "farmer_id": farmer_id, "name": "Kale", "unit": "bunch", "quantity_delta": delta, "stock": 20}
    )


@pytest.mark.django_db(databases=["default"])
def test_a_stock_adjustment_goes_to_the_farmers_warehouse(fake_http):
    farmer = FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)

    told = inventory_stock_push(event_id="ev-2", change=stock_change(farmer.id, delta=12))

    [request] = fake_http.requests
    assert told == 1
    assert request["headers"]["Idempotency-Key"] == f"ev-2:{farmer.id}"
    assert request["body"]["reason"] == "stock_changed"
    assert request["body"]["changes"] == [
        {"product_id": 7, "name": "Kale", "unit": "bunch", "quantity_delta": 12, "stock": 20}
    ]


@pytest.mark.django_db(databases=["default"])
def test_a_stock_adjustment_of_a_farm_without_a_warehouse_tells_nobody(fake_http):
    assert inventory_stock_push(event_id="ev-3", change=stock_change(FarmerFactory().id)) == 0
    assert fake_http.requests == []
