"""Decoding messages into events, and handling each event once per consumer group."""

import threading
import uuid

import pytest
from django.db import connection, connections
from kafka.consumer.fetcher import ConsumerRecord

from events.clients import Event, event_headers, event_value
from events.models import ProcessedEvent
from events.processing import MalformedEvent, event_decode, event_process, runs_outside_transaction
from notifications.models import RecordedSms
from tests.eventstack import wait_for


def record(*, value: bytes, headers: list) -> ConsumerRecord:
    return ConsumerRecord(
        topic="order_events",
        partition=0,
        leader_epoch=-1,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"42",
        value=value,
        headers=headers,
        checksum=None,
        serialized_key_size=2,
        serialized_value_size=len(value),
        serialized_header_size=-1,
    )


def event() -> Event:
    return Event(id=str(uuid.uuid4()), type="order_placed", key="42", payload={}, headers={})


def test_a_message_from_the_relay_decodes_into_its_event():
    event_id = str(uuid.uuid4())
    headers = event_headers(event_id=event_id, event_type="order_placed", extra={"traceparent": "00-ab-cd-01"})

    decoded = event_decode(record(value=event_value({"order_id": 42}), headers=headers))

    assert (decoded.id, decoded.type, decoded.key, decoded.payload) == (
        event_id,
        "order_placed",
        "42",
        {"order_id": 42},
    )
    assert decoded.headers["traceparent"] == "00-ab-cd-01"


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"{}", [("event-type", b"order_placed")], "event-id header '' is not a UUID"),
        (b"{}", [("event-id", str(uuid.uuid4()).encode())], "no event-type header"),
        (b"[1, 2]", event_headers(event_id=str(uuid.uuid4()), event_type="x", extra={}), "JSON list, not an object"),
    ],
)
def test_a_message_that_is_not_an_event_says_why(value, headers, reason):
    with pytest.raises(MalformedEvent, match=reason):
        event_decode(record(value=value, headers=headers))


@pytest.mark.django_db(databases=["default"])
def test_an_event_takes_effect_once_per_group_however_often_it_arrives():
    calls: list[str] = []
    delivered = event()

    runs = [event_process(group=group, event=delivered, handler=lambda e: calls.append(e.id)) for group in "aab"]

    assert runs == [True, False, True]
    assert calls == [delivered.id, delivered.id]


@pytest.mark.django_db(databases=["default"])
def test_a_failing_handler_leaves_no_trace_so_the_retry_runs_it_again():
    delivered = event()

    def fails_after_writing(e: Event) -> None:
        RecordedSms.objects.create(to="+1555", body="half done", idempotency_key=e.id)
        raise ConnectionError("SMTP server went away")

    with pytest.raises(ConnectionError):
        event_process(group="notifications", event=delivered, handler=fails_after_writing)

    assert not ProcessedEvent.objects.filter(event_id=delivered.id).exists()
    assert not RecordedSms.objects.filter(idempotency_key=delivered.id).exists()
    assert event_process(group="notifications", event=delivered, handler=lambda e: None) is True


@pytest.mark.django_db(databases=["default"])
def test_a_handler_recording_each_effect_keeps_those_it_recorded_when_a_later_one_fails():
    delivered = event()

    @runs_outside_transaction
    def fails_after_one_effect(e: Event) -> None:
        RecordedSms.objects.create(to="+1555", body="sent", idempotency_key=e.id)
        raise ConnectionError("SMTP server went away")

    with pytest.raises(ConnectionError):
        event_process(group="notifications", event=delivered, handler=fails_after_one_effect)

    assert RecordedSms.objects.filter(idempotency_key=delivered.id).exists()
    assert not ProcessedEvent.objects.filter(event_id=delivered.id).exists()
    assert (
        event_process(group="notifications", event=delivered, handler=runs_outside_transaction(lambda e: None)) is True
    )
    assert (
        event_process(group="notifications", event=delivered, handler=runs_outside_transaction(lambda e: None)) is False
    )


def advisory_lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_two_members_handling_one_event_outside_a_transaction_run_its_handler_once():
    delivered, calls, ran = event(), [], {}
    handling, finish = threading.Event(), threading.Event()

    @runs_outside_transaction
    def slow_send(e: Event) -> None:
        calls.append(e.id)
        handling.set()
        finish.wait(timeout=10)

    def member(name: str) -> None:
        ran[name] = event_process(group="notifications", event=delivered, handler=slow_send)
        connections.close_all()

    first, second = (threading.Thread(target=member, args=(name,)) for name in ("first", "second"))
    first.start()
    handling.wait(timeout=10)
    second.start()
    wait_for(advisory_lock_waiters, timeout=10, what="the second member to wait on the event's lock")
    finish.set()
    first.join()
    second.join()

    assert ran == {"first": True, "second": False}
    assert calls == [delivered.id]
    assert ProcessedEvent.objects.filter(group="notifications", event_id=delivered.id).count() == 1
