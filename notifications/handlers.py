"""The notifications consumer group: decode an order event, call the service that notifies."""

from events.clients import Event
from events.contracts import OrderPlaced, order_placed_decode
from events.processing import runs_outside_transaction
from notifications.services import order_placed_notify


@runs_outside_transaction
def notifications_event_handle(event: Event) -> None:
    if event.type == OrderPlaced.EVENT_TYPE:
        order_placed_notify(event_id=event.id, order=order_placed_decode(event.payload))
