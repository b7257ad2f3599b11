"""Turning a Kafka message into an event and handling it once per consumer group.

`event_process` is the one step that does a group's work for one event; it is kept a single call so
that tracing can wrap it in a span.
"""

import json
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import connections, transaction
from django.utils.module_loading import import_string
from kafka.consumer.fetcher import ConsumerRecord

from events.clients import EVENT_ID_HEADER, EVENT_TYPE_HEADER, Event, headers_decode
from events.models import ProcessedEvent

Handler = Callable[[Event], None]


class PermanentFailure(Exception):
    """Handling this event can never succeed as it stands: dead-letter it at once, without retries."""


class MalformedEvent(PermanentFailure, ValueError):
    """The message cannot be an event (no id, no type, a payload that is not a JSON object, or a
    payload its handler cannot read): retrying will not help, so it goes to the dead letters."""


def event_decode(record: ConsumerRecord, *, headers: dict[str, str] | None = None) -> Event:
    """The event carried by `record`, or MalformedEvent saying what is wrong with it. `headers` are
    the record's as `headers_decode` gave them, when the caller has decoded them already."""
    if headers is None:
        headers = headers_decode(record)
    event_id, event_type = headers.get(EVENT_ID_HEADER, ""), headers.get(EVENT_TYPE_HEADER, "")
    if not event_type:
        raise MalformedEvent(f"no {EVENT_TYPE_HEADER} header")
    try:
        event_id = str(uuid.UUID(event_id))
    except ValueError:
        raise MalformedEvent(f"{EVENT_ID_HEADER} header {event_id!r} is not a UUID") from None
    try:
        payload = json.loads(record.value)
    except (TypeError, ValueError) as exc:
        raise MalformedEvent(f"the value is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedEvent(f"the value is JSON {type(payload).__name__}, not an object")
    key = (record.key or b"").decode("utf-8", "replace")
    return Event(id=event_id, type=event_type, key=key, payload=payload, headers=headers)


def runs_outside_transaction(handler: Handler) -> Handler:
    """Mark `handler` as one whose effects are outside our databases (mail, SMS, a warehouse's HTTP
    API): `event_process` runs it outside a transaction, so no connection sits idle in a transaction,
    holding its locks, while a remote server takes its time. Each effect must be safe to repeat,
    because a redelivery after a crash runs the handler again: recorded as it happens (each record
    commits at once) or carrying an idempotency key the receiver honours."""
    handler.runs_outside_transaction = True
    return handler


def event_process(*, group: str, event: Event, handler: Handler) -> bool:
    """Run `handler` for `event` unless `group` already has; True if it ran now.

    Invariant: the processed-event row and the handler's own writes on the primary commit together,
    so a redelivered event takes effect once. The row is inserted first: a second member of the group
    handling the same event at the same moment (during a rebalance) waits on it, then skips.

    A handler marked `runs_outside_transaction` runs outside the transaction instead, under a lock on
    the event that a second member waits on the same way; the processed-event row follows its last
    effect, and a redelivery after a crash runs it again (its effects are safe to repeat).
    """
    if getattr(handler, "runs_outside_transaction", False):
        return _event_process_outside_transaction(group=group, event=event, handler=handler)
    with transaction.atomic(using="default"):
        if not _processed_insert(group=group, event=event):
            return False
        handler(event)
    return True


_LOCK_THEN_CHECK_SQL = (
    "SELECT pg_advisory_lock(hashtextextended(%s, 0)); SELECT EXISTS (SELECT 1 FROM"  # noqa: S608
    f' {ProcessedEvent._meta.db_table} WHERE "group" = %s AND event_id = %s)'
)


def _event_process_outside_transaction(*, group: str, event: Event, handler: Handler) -> bool:
    lock = [f"{group}:{event.id}"]
    with connections["default"].cursor() as cursor:
        # A session lock: it goes with the connection if the process dies, and stays held while the
        # handler commits its records one by one. Each statement sees what committed before it ran,
        # so the check after the lock sees a row another member committed while we waited.
        cursor.execute(_LOCK_THEN_CHECK_SQL, [*lock, group, event.id])
        try:
            if cursor.fetchone()[0]:
                return False
            handler(event)
            _processed_insert(group=group, event=event)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", lock)
    return True


def _processed_insert(*, group: str, event: Event) -> bool:
    """Insert the processed-event row; False if it was there already."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {ProcessedEvent._meta.db_table} ("group", event_id, event_type, processed_at)'  # noqa: S608
            " VALUES (%s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
            [group, event.id, event.type],
        )
        return cursor.fetchone() is not None


def event_processed(*, group: str, event_id: str) -> bool:
    return ProcessedEvent.objects.using("default").filter(group=group, event_id=event_id).exists()


class UnknownConsumerGroup(LookupError):
    pass


def consumer_handler(group: str) -> Handler:
    """The handler settings.EVENT_CONSUMERS names for `group`."""
    try:
        return import_string(settings.EVENT_CONSUMERS[group])
    except KeyError:
        raise UnknownConsumerGroup(f"no consumer group {group!r}; known: {sorted(settings.EVENT_CONSUMERS)}") from None
