"""The consumer groups as `make run` runs them (real processes, broker, SMTP sink and databases):
every event takes effect once through a broker outage, a killed consumer and a redelivery."""

import time
import uuid
from collections import Counter

import pytest

from devstack import servers
from devstack.smtp_sink import DROPPED, read_messages
from events.clients import topics_ensure
from events.models import ProcessedEvent
from fulfilment.models import ManifestLine, WarehouseEndpoint
from notifications.models import Delivery, RecordedSms
from outbox.models import OutboxEvent
from routers.placement import Placement, aliases_for
from tests.eventstack import (
    groups_skip_history,
    mail_to,
    order_placed_payload,
    order_placed_record,
    text_of,
    unpublished_count,
    wait_for,
)
from tests.marketplace.factories import FarmerFactory
from tests.orders.factories import CustomerFactory, ProductFactory, placed_order

ALL = ["default", "replica", "shard_0", "shard_1"]
GROUPS = ["notifications", "inventory-sync", "manifests"]
CONSUMERS = ["consume_notifications", "consume_inventory_sync", "consume_manifests"]


def processed(group: str, events) -> int:
    return ProcessedEvent.objects.filter(group=group, event_id__in=[e.id for e in events]).count()


def events_of(orders) -> list[OutboxEvent]:
    """The order_placed events checkout recorded with `orders`, wherever their shards are."""
    keys = [str(order.order_id) for order in orders]
    return [
        e
        for alias in aliases_for(Placement.ORDER_SHARDS)
        for e in OutboxEvent.objects.using(alias).filter(key__in=keys)
    ]


def record_orders(farmer, count: int) -> list:
    aliases = aliases_for(Placement.ORDER_SHARDS)
    return [
        order_placed_record(payload=order_placed_payload(farmers=[farmer]), using=aliases[i % len(aliases)])
        for i in range(count)
    ]


@pytest.fixture
def broker(test_stack):
    """The stack's broker, started again (empty, as the in-memory broker is) if a test stopped it."""
    kafka = servers.kafka(test_stack)
    yield kafka
    kafka.ensure_up(test_stack)
    topics_ensure()


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_an_order_event_sends_the_confirmation_the_sms_and_the_farmers_email(test_stack, processes):
    farmer = FarmerFactory(farm_name="Hillside Farm")
    groups_skip_history(["notifications"])
    processes("relay_outbox")
    processes("consume_notifications")

    payload = order_placed_payload(farmers=[farmer], phone="+15550123")
    order_placed_record(payload=payload)

    [confirmation] = wait_for(lambda: mail_to(test_stack.maildir, payload["email"]), timeout=60, what="the mail")
    [farmer_mail] = wait_for(lambda: mail_to(test_stack.maildir, farmer.user.email), timeout=10, what="the mail")
    assert confirmation["Subject"] == f"Your UrbanHarvest order {payload['reference']}"
    assert {part.get_content_type() for part in confirmation.walk()} >= {"text/plain", "text/html"}
    assert "Heirloom tomatoes 0" in text_of(farmer_mail)
    assert RecordedSms.objects.get(to="+15550123").body.startswith(f"UrbanHarvest: order {payload['reference']}")


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_orders_placed_while_the_broker_is_down_are_each_handled_once_when_it_returns(
    test_stack, processes, fake_http, broker
):
    farmer = FarmerFactory()
    product = ProductFactory(farmer=farmer, stock=1000)
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    groups_skip_history(GROUPS)
    relay = processes("relay_outbox")
    consumers = [processes(command) for command in CONSUMERS]
    for consumer in consumers:
        consumer.wait_ready("consuming")

    broker.stop(test_stack)
    shoppers = [f"shopper-{uuid.uuid4().hex[:12]}@example.com" for _ in range(200)]
    orders = [placed_order(customer=CustomerFactory(email=email), product=product) for email in shoppers]
    time.sleep(2)
    waiting = unpublished_count(aliases_for(Placement.ORDER_SHARDS))
    broker.ensure_up(test_stack)

    events = events_of(orders)
    for group in GROUPS:
        wait_for(lambda g=group: processed(g, events) == 200, timeout=180, what=f"{group} to handle all 200")
    time.sleep(3)  # room for any duplicate to show up
    received = Counter(message["To"] for message in read_messages(test_stack.maildir))
    assert waiting == 200
    assert [received[shopper] for shopper in shoppers] == [1] * 200
    assert received[farmer.user.email] == 200
    assert RecordedSms.objects.filter(idempotency_key__in=[f"{e.id}:order-confirmation" for e in events]).count() == 200
    assert len(fake_http.requests) == 200
    assert ManifestLine.objects.filter(farmer=farmer).count() == 200
    assert relay.process.poll() is None and all(c.process.poll() is None for c in consumers)


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_consumer_killed_mid_batch_loses_nothing_and_applies_each_change_once(processes, fake_http):
    farmer = FarmerFactory()
    WarehouseEndpoint.objects.create(farmer=farmer, url=fake_http.url)
    fake_http.delay_s = 0.02
    groups_skip_history(["inventory-sync"])
    events = record_orders(farmer, 200)
    processes("relay_outbox")
    first = processes("consume_inventory_sync")

    wait_for(lambda: len(fake_http.requests) >= 60, timeout=90, what="the first pushes")
    first.kill()
    handled_before_kill = processed("inventory-sync", events)
    processes("consume_inventory_sync")
    wait_for(lambda: processed("inventory-sync", events) == 200, timeout=120, what="all 200 handled")
    time.sleep(2)

    keys = [request["headers"]["Idempotency-Key"] for request in fake_http.requests]
    assert 60 <= handled_before_kill < 200
    assert set(fake_http.applied) == {f"{event.id}:{farmer.id}" for event in events}
    # Redelivered messages the processed-event records skip; only the one in flight can repeat.
    assert len(keys) - len(set(keys)) <= 1


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_an_event_published_twice_sends_its_emails_once(test_stack, processes):
    farmer = FarmerFactory()
    groups_skip_history(["notifications"])
    relay = processes("relay_outbox")
    processes("consume_notifications")
    event = order_placed_record(payload=order_placed_payload(farmers=[farmer]))
    wait_for(lambda: processed("notifications", [event]), timeout=60, what="the first delivery")

    # As if a relay died between the broker's acknowledgement and its own commit.
    OutboxEvent.objects.using("shard_0").filter(id=event.id).update(published_at=None)
    wait_for(lambda: unpublished_count(["shard_0"]) == 0, timeout=30, what="the second publication")
    time.sleep(2)

    assert len(mail_to(test_stack.maildir, event.payload["email"])) == 1
    assert len(mail_to(test_stack.maildir, farmer.user.email)) == 1
    assert relay.terminate() == 0


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_sigterm_commits_what_was_handled_and_leaves_the_group(processes):
    farmer = FarmerFactory()
    groups_skip_history(["manifests"])
    events = record_orders(farmer, 30)
    processes("relay_outbox")
    first = processes("consume_manifests")
    wait_for(lambda: processed("manifests", events) == 30, timeout=60, what="all 30 handled")

    started = time.monotonic()
    exit_code = first.terminate()
    stopped_in = time.monotonic() - started
    second = processes("consume_manifests")
    second.wait_ready("consuming")
    time.sleep(4)

    assert exit_code == 0
    assert stopped_in < 5
    assert "stopped after handling 30 events" in first.output()
    assert second.terminate() == 0
    assert "stopped after handling 0 events" in second.output()


@pytest.mark.django_db(databases=ALL, transaction=True)
def test_a_notifications_consumer_killed_mid_batch_loses_no_notification_and_sends_none_twice(test_stack, processes):
    farmer = FarmerFactory()
    groups_skip_history(["notifications"])
    events = record_orders(farmer, 200)
    processes("relay_outbox")
    first = processes("consume_notifications")

    wait_for(lambda: processed("notifications", events) >= 60, timeout=90, what="the first emails")
    first.kill()  # SIGKILL
    handled_before_kill = processed("notifications", events)
    processes("consume_notifications")
    wait_for(lambda: processed("notifications", events) == 200, timeout=120, what="all 200 handled")
    time.sleep(2)

    filed = Counter(message["Message-ID"] for message in read_messages(test_stack.maildir))
    wanted = [f"<{e.id}.{kind}@urbanharvest>" for e in events for kind in ("confirmation", f"farmer-{farmer.id}")]
    log = (test_stack.logs / "smtp.log").read_text().splitlines()
    dropped = sum(line.startswith(f"{DROPPED} {message_id} ") for message_id in wanted for line in log)
    print(f"killed after {handled_before_kill}/200 events; the sink dropped {dropped} resent mails of theirs")
    assert handled_before_kill < 200
    # Each mail once per recipient: the delivery records skip what was sent before the kill, and the
    # sink drops the copy of one taken in the instant before its record committed.
    assert [filed[message_id] for message_id in wanted] == [1] * 400
    assert Delivery.objects.filter(event_id__in=[e.id for e in events]).count() == 600
    assert RecordedSms.objects.filter(idempotency_key__in=[f"{e.id}:order-confirmation" for e in events]).count() == 200
