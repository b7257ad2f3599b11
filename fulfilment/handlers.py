"""The inventory-sync and manifests consumer groups: decode the event, call one service."""

from events.clients import Event
from events.contracts import OrderPlaced, StockChanged, order_placed_decode, stock_changed_decode
from events.processing import runs_outside_transaction
from fulfilment.services import inventory_order_push, inventory_stock_push, manifest_order_add


# Outside the event's transaction: the pushes are HTTP calls, and each carries an idempotency key.
@runs_outside_transaction
def inventory_sync_event_handle(event: Event) -> None:
    if event.type == OrderPlaced.EVENT_TYPE:
        inventory_order_push(event_id=event.id, order=order_placed_decode(event.payload))
    elif event.type == StockChanged.EVENT_TYPE:
        inventory_stock_push(event_id=event.id, change=stock_changed_decode(event.payload))


def manifests_event_handle(event: Event) -> None:
    if event.type == OrderPlaced.EVENT_TYPE:
        manifest_order_add(order=order_placed_decode(event.payload))
