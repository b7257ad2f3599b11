"""Recording events in the outbox, inside the transaction of the change they describe."""

from datetime import timedelta

from django.db import connections
from django.utils import timezone

from outbox.models import ORDER_EVENTS_TOPIC, OutboxEvent
from urbanharvest import telemetry


class OutsideTransaction(RuntimeError):
    """An event was recorded outside a transaction, so it could commit without its change."""


def outbox_record(
    *, using: str, event_type: str, key: str, payload: dict, topic: str = ORDER_EVENTS_TOPIC
) -> OutboxEvent:
    """Record one event on database `using` in the open transaction there.

    Invariant: the event commits if and only if the change it describes commits. The current trace
    context is stored with it, so the relay and the consumers continue the trace that caused it.
    """
    if not connections[using].in_atomic_block:
        raise OutsideTransaction(f"outbox_record needs an open transaction on {using!r} (transaction.atomic)")
    return OutboxEvent.objects.using(using).create(
        topic=topic, key=key, event_type=event_type, payload=payload, headers=telemetry.trace_headers()
    )


def outbox_prune(*, using: str, older_than: timedelta) -> int:
    """Delete events on `using` published more than `older_than` ago; unpublished ones always stay."""
    cutoff = timezone.now() - older_than
    deleted, _ = OutboxEvent.objects.using(using).filter(published_at__lt=cutoff).delete()
    return deleted
