"""What the event tests share: order_placed events made the way the app makes them (farmers come
from tests/marketplace/factories.py), the relay and consumers run as the real `manage.py` processes,
a reader for the topics, the SMTP sink's mail, and a local fake HTTP server standing in for the
outside systems (warehouses, SMS gateways)."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from devstack.smtp_sink import read_messages
from events.clients import topics_ensure
from marketplace.models import Farmer
from outbox.models import ORDER_EVENTS_TOPIC, OutboxEvent
from outbox.services import outbox_record


def wait_for(check: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """The first truthy value of `check()`, or an AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def order_placed_payload(
    *, farmers: list[Farmer], email: str | None = None, phone: str = "+15550100", quantity: int = 2
) -> dict:
    """An order_placed payload as checkout writes it: one line per farmer."""
    order_id = uuid.uuid4().int >> 65
    lines = [
        {
            "product_id": 1000 + index,
            "farmer_id": farmer.id,
            "name": f"Heirloom tomatoes {index}",
            "unit": "lb",
            "quantity": quantity,
            "unit_price": "3.50",
            "line_total": str(Decimal("3.50") * quantity),
        }
        for index, farmer in enumerate(farmers)
    ]
    return {
        "order_id": order_id,
        "reference": f"UH-{uuid.uuid4().hex[:8].upper()}",
        "customer_id": 42,
        "email": email or f"shopper-{uuid.uuid4().hex[:12]}@example.com",
        "phone": phone,
        "delivery_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        "placed_at": timezone.now().isoformat(),
        "total": str(sum(Decimal(line["line_total"]) for line in lines)),
        "lines": lines,
    }


def order_placed_record(*, payload: dict, using: str = "shard_0", headers: dict | None = None) -> OutboxEvent:
    """Commit an order_placed event on `using`, as checkout does with the order."""
    with transaction.atomic(using=using):
        event = outbox_record(using=using, event_type="order_placed", key=str(payload["order_id"]), payload=payload)
        if headers:
            event.headers = headers
            event.save(using=using, update_fields=["headers"])
    return event


def unpublished_count(aliases: list[str]) -> int:
    return sum(OutboxEvent.objects.using(alias).filter(published_at__isnull=True).count() for alias in aliases)


class ManageProcess:
    """A `manage.py` command running as its own process with the test settings, as `make run` runs it."""

    def __init__(self, command: str, *args: str, log_dir: Path):
        self.name = command
        self.log = log_dir / f"{command}-{uuid.uuid4().hex[:6]}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "urbanharvest.settings.test", "PYTHONUNBUFFERED": "1"}
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(settings.BASE_DIR / "manage.py"), command, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=settings.BASE_DIR,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, text: str, timeout: float = 30) -> None:
        wait_for(lambda: text in self.output(), timeout=timeout, what=f"{self.name} to say {text!r}")

    def terminate(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


class TopicReader:
    """Reads a topic from where it ended when the reader was made (no consumer group)."""

    def __init__(self, topic: str = ORDER_EVENTS_TOPIC):
        topics_ensure()
        self.consumer = KafkaConsumer(
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=settings.KAFKA_FETCH_MAX_WAIT_MS,
        )
        partitions = [TopicPartition(topic, n) for n in sorted(self.consumer.partitions_for_topic(topic) or [])]
        self.consumer.assign(partitions)
        self.consumer.seek_to_end(*partitions)
        for partition in partitions:
            self.consumer.position(partition)
        self.records: list = []

    def read_until(self, done: Callable[[list], bool], timeout: float = 30) -> list:
        deadline = time.monotonic() + timeout
        while not done(self.records) and time.monotonic() < deadline:
            for batch in self.consumer.poll(timeout_ms=200).values():
                self.records += batch
        return self.records

    def close(self) -> None:
        self.consumer.close()


def groups_skip_history(groups: list[str], topic: str = ORDER_EVENTS_TOPIC) -> None:
    """Commit `groups`' offsets at the topic's end, so a test's consumers start with its own events
    rather than every earlier test's."""
    topics_ensure()
    for group in groups:
        consumer = KafkaConsumer(
            bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, group_id=group, enable_auto_commit=False
        )
        partitions = [TopicPartition(topic, n) for n in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_end(*partitions)
        consumer.commit({p: OffsetAndMetadata(consumer.position(p), None, -1) for p in partitions})
        consumer.close(autocommit=False)


def mail_to(maildir: Path, recipient: str) -> list:
    return [message for message in read_messages(maildir) if message["To"] == recipient]


def text_of(message, content_type: str = "text/plain") -> str:
    """The decoded body part of `content_type` in a message the sink filed."""
    for part in message.walk():
        if part.get_content_type() == content_type:
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no {content_type} part")


class FakeHttpService:
    """A local HTTP server standing in for a system outside ours: records every JSON POST and answers
    with the statuses queued in `responses` (then 200). It applies each Idempotency-Key once, as a
    well-behaved warehouse or SMS gateway does. `observe`, when set, is called while each request is
    being answered, and what it returns is kept with the request (what our side looked like meanwhile)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.applied: dict[str, dict] = {}
        self.responses: list[int] = []
        self.delay_s = 0.0
        self.observe: Callable[[], object] | None = None
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(service.delay_s)
                observed = service.observe() if service.observe else None
                with service._lock:
                    status = service.responses.pop(0) if service.responses else 200
                    request = {"headers": dict(self.headers), "body": body, "status": status, "observed": observed}
                    service.requests.append(request)
                    key = self.headers.get("Idempotency-Key", "")
                    if status < 300:
                        service.applied.setdefault(key, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/stock"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def processes(tmp_path):
    """Start `manage.py` commands as processes; whatever is still running at the end is stopped."""
    started: list[ManageProcess] = []

    def start(command: str, *args: str) -> ManageProcess:
        process = ManageProcess(command, *args, log_dir=tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.process.poll() is None:
            process.terminate()


@pytest.fixture
def fake_http():
    service = FakeHttpService()
    yield service
    service.close()
