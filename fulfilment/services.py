"""Fulfilment's reactions to orders and stock adjustments: stock changes pushed to the farms'
warehouses, and each farm's delivery manifest for the day kept up to date."""

import datetime as dt

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from events.contracts import OrderPlaced, StockChanged
from events.processing import PermanentFailure
from fulfilment.manifests import manifest_csv, manifest_html
from fulfilment.models import DeliveryManifest, ManifestLine, WarehouseEndpoint
from fulfilment.warehouse import warehouse_changes_push
from marketplace.models import Farmer


class UnknownFarmer(PermanentFailure):
    pass


def inventory_order_push(*, event_id: str, order: OrderPlaced) -> int:
    """Tell each farmer's warehouse (where one is configured) what the order took; returns how many
    warehouses were told. The idempotency key names the event and farmer, so a redelivered event or
    a retry after a partial failure is applied once by a warehouse that honours it.

    Call it outside a transaction (the consumer does): a warehouse's answer can take seconds, and
    nothing here writes to our databases."""
    by_farmer = order.lines_by_farmer()
    endpoints = WarehouseEndpoint.objects.using("default").filter(farmer_id__in=by_farmer, is_active=True)
    for endpoint in sorted(endpoints, key=lambda e: e.farmer_id):
        body = {
            "event_id": event_id,
            "reason": OrderPlaced.EVENT_TYPE,
            "order_reference": order.reference,
            "changes": [
                {"product_id": line.product_id, "name": line.name, "unit": line.unit, "quantity_delta": -line.quantity}
                for line in by_farmer[endpoint.farmer_id]
            ],
        }
        warehouse_changes_push(endpoint=endpoint, idempotency_key=f"{event_id}:{endpoint.farmer_id}", body=body)
    return len(endpoints)


def inventory_stock_push(*, event_id: str, change: StockChanged) -> int:
    """Tell the farmer's warehouse (where one is configured) of a stock adjustment made in the
    admin; returns how many warehouses were told (0 or 1), idempotent as inventory_order_push."""
    endpoint = WarehouseEndpoint.objects.using("default").filter(farmer_id=change.farmer_id, is_active=True).first()
    if endpoint is None:
        return 0
    body = {
        "event_id": event_id,
        "reason": StockChanged.EVENT_TYPE,
        "changes": [
            {
                "product_id": change.product_id,
                "name": change.name,
                "unit": change.unit,
                "quantity_delta": change.quantity_delta,
                "stock": change.stock,
            }
        ],
    }
    warehouse_changes_push(endpoint=endpoint, idempotency_key=f"{event_id}:{endpoint.farmer_id}", body=body)
    return 1


def manifest_order_add(*, order: OrderPlaced) -> list[DeliveryManifest]:
    """Add the order's lines to each of its farmers' manifests for the delivery date, and rewrite
    those manifests' files.

    Runs in the consumer's transaction. Each manifest row is locked (farmers in id order, so two
    orders never deadlock) before its lines are read, so two consumers adding to the same manifest
    at once write it one after the other and the last file holds both orders.
    """
    by_farmer = order.lines_by_farmer()
    farmers = Farmer.objects.using("default").in_bulk(sorted(by_farmer))
    if missing := set(by_farmer) - set(farmers):
        raise UnknownFarmer(f"order {order.reference} names farmers that do not exist: {sorted(missing)}")
    manifests = []
    for farmer_id in sorted(by_farmer):
        manifest = _manifest_locked(farmer=farmers[farmer_id], delivery_date=order.delivery_date)
        ManifestLine.objects.using("default").bulk_create(
            [
                ManifestLine(
                    farmer_id=farmer_id,
                    delivery_date=order.delivery_date,
                    order_id=order.order_id,
                    order_reference=order.reference,
                    product_id=line.product_id,
                    product_name=line.name,
                    unit=line.unit,
                    quantity=line.quantity,
                    placed_at=order.placed_at,
                )
                for line in by_farmer[farmer_id]
            ],
            ignore_conflicts=True,
        )
        manifests.append(manifest_refresh(manifest=manifest))
    return manifests


def manifest_refresh(*, manifest: DeliveryManifest) -> DeliveryManifest:
    """Rewrite the manifest's CSV and HTML from its lines (idempotent: the same lines, the same files)."""
    lines = list(
        ManifestLine.objects.using("default").filter(farmer=manifest.farmer, delivery_date=manifest.delivery_date)
    )
    storage = storages["manifests"]
    stem = f"{manifest.farmer_id}/{manifest.delivery_date:%Y-%m-%d}"
    manifest.csv_name = storage.save(f"{stem}.csv", ContentFile(manifest_csv(lines=lines)))
    html = manifest_html(farmer=manifest.farmer, delivery_date=manifest.delivery_date, lines=lines)
    manifest.html_name = storage.save(f"{stem}.html", ContentFile(html))
    manifest.order_count = len({line.order_id for line in lines})
    manifest.line_count = len(lines)
    manifest.save(using="default")
    return manifest


def _manifest_locked(*, farmer: Farmer, delivery_date: dt.date) -> DeliveryManifest:
    DeliveryManifest.objects.using("default").bulk_create(
        [DeliveryManifest(farmer=farmer, delivery_date=delivery_date)], ignore_conflicts=True
    )
    manifest = (
        DeliveryManifest.objects.using("default").select_for_update().get(farmer=farmer, delivery_date=delivery_date)
    )
    manifest.farmer = farmer
    return manifest
