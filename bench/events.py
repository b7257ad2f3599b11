"""Events: relay throughput beside a bare kafka-python producer to the same broker, in the same run,
and the latency from an order's commit to its confirmation email reaching the SMTP server.

Judged by: relay events/s >= 0.8 x bare producer messages/s; commit -> email p99 < 1 s.

    UH_STACK_PORT_BASE=29500 .venv/bin/python bench/events.py --events 6000 --rounds 5 --orders 100

It runs on a throwaway stack of its own (the test profile's settings, data in .stack/bench-events),
started fresh and stopped at the end.

Throughput: each round records `--events` order_placed events (the checkout payload, 3 lines) spread
over the primary and the shards, then times the relay's drain step emptying them (per database, batches
claimed with FOR UPDATE SKIP LOCKED, sent, acknowledged with acks=all and marked published, two in
flight), and times the bare producer, the same producer object, sending as many messages of the
same size (the payload as the database renders it), keys and headers, made before its clock starts
as the relay's were when recorded, and flushing. The two take turns going first; the median of the
rounds' ratios is the figure. `--compression gzip` runs both with a compressing producer.

Latency: the relay and `consume_notifications` run as processes, as under `make run`; the bench
commits `--orders` orders one at a time on the shards (50 ms apart) and reads each confirmation's
arrival time from the sink's Maildir (file modification time, same clock).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("UH_STACK_DIR", str(ROOT / ".stack" / "bench-events"))
os.environ["DJANGO_SETTINGS_MODULE"] = "urbanharvest.settings.test"

import django  # noqa: E402

from bench.stats import percentile  # noqa: E402
from devstack import config, stack  # noqa: E402


def payload(farmer_id: int, email: str) -> dict:
    lines = [
        {
            "product_id": 100 + i,
            "farmer_id": farmer_id,
            "name": f"Heirloom tomatoes {i}",
            "unit": "lb",
            "quantity": 2,
            "unit_price": "3.50",
            "line_total": "7.00",
        }
        for i in range(3)
    ]
    return {
        "order_id": uuid.uuid4().int >> 65,
        "reference": uuid.uuid4().hex[:12].upper(),
        "customer_id": 42,
        "email": email,
        "phone": "555 0100 200",
        "delivery_date": "2026-12-05",
        "placed_at": "2026-12-04T10:00:00+00:00",
        "total": "21.00",
        "lines": lines,
    }


def record(count: int, farmer_id: int, topic: str = "bench_relay") -> None:
    from django.db import transaction

    from outbox.models import OutboxEvent
    from routers.placement import Placement, aliases_for

    aliases = aliases_for(Placement.ORDER_SHARDS)
    for index, alias in enumerate(aliases):
        rows = [
            OutboxEvent(topic=topic, event_type="order_placed", key=str(p["order_id"]), payload=p)
            for p in (payload(farmer_id, "bench@example.com") for _ in range(index, count, len(aliases)))
        ]
        with transaction.atomic(using=alias):
            OutboxEvent.objects.using(alias).bulk_create(rows, batch_size=1000)


def relay_drain(relay) -> tuple[int, float]:
    """Run the relay's own drain step until the outbox is empty."""
    published, started = 0, time.perf_counter()
    while batch := relay.drain_once():
        published += batch
    return published, time.perf_counter() - started


def bare_messages(count: int) -> list[tuple[bytes, list[tuple[str, bytes]]]]:
    """The bare producer's keys and headers, made before its clock starts, as the relay's events were
    (event ids are minted when an event is recorded, not when it is sent)."""
    from events.clients import event_headers

    return [
        (
            str(uuid.uuid4().int >> 65).encode(),
            event_headers(event_id=str(uuid.uuid4()), event_type="order_placed", extra={}),
        )
        for _ in range(count)
    ]


def bare_send(producer, messages: list[tuple[bytes, list[tuple[str, bytes]]]], value: bytes) -> float:
    started = time.perf_counter()
    for key, headers in messages:
        producer.send("bench_bare", key=key, value=value, headers=headers)
    producer.flush()
    return time.perf_counter() - started


def throughput(events: int, rounds: int, batch_size: int, farmer_id: int) -> None:
    """Both sides publish to topics of their own, which the notifications consumer does not read."""
    from django.conf import settings

    from events.clients import producer_build, topics_ensure
    from outbox.relay import OutboxRelay

    topics_ensure(("order_events", "order_events.dead_letter", "bench_relay", "bench_bare"))
    # The relay sends each payload as the database renders it; the bare producer sends one of those.
    value = json.dumps(payload(farmer_id, "bench@example.com")).encode()
    producer = producer_build()
    relay = OutboxRelay(batch_size=batch_size)
    relay._producer = producer  # the relay's drain step, with the same producer as the bare sends
    # A full round first, not counted: connections, topic metadata and the producer's buffers warm up
    # (with only a few hundred messages first, the bare producer's first timed round ran slow).
    bare_send(producer, bare_messages(events), value)
    record(events, farmer_id)
    relay_drain(relay)
    relay_rates, bare_rates = [], []
    for round_number in range(1, rounds + 1):
        record(events, farmer_id)
        # Alternate which goes first, so neither always meets a warmer or a busier machine.
        if round_number % 2:
            published, relay_s = relay_drain(relay)
            bare_s = bare_send(producer, bare_messages(events), value)
        else:
            bare_s = bare_send(producer, bare_messages(events), value)
            published, relay_s = relay_drain(relay)
        relay_rates.append(published / relay_s)
        bare_rates.append(events / bare_s)
        print(
            f"  round {round_number}: relay {published / relay_s:8.0f} events/s   "
            f"bare producer {events / bare_s:8.0f} msg/s   ratio {(published / relay_s) / (events / bare_s):.2f}",
            flush=True,
        )
    producer.close()
    relay, bare = statistics.median(relay_rates), statistics.median(bare_rates)
    ratio = statistics.median(r / b for r, b in zip(relay_rates, bare_rates, strict=True))
    verdict = "meets" if ratio >= 0.8 else "MISSES"
    print(
        f"throughput ({events} events x {rounds} rounds, {len(value)}-byte values, batch {batch_size}, "
        f"compression {settings.KAFKA_COMPRESSION_TYPE or 'none'}): "
        f"relay median {relay:.0f} events/s, bare kafka-python producer median {bare:.0f} msg/s, "
        f"median of the rounds' ratios {ratio:.2f} ({verdict} the 0.8 target)"
    )


def latency(orders: int, profile, farmer_id: int) -> None:
    from django.db import transaction

    from outbox.services import outbox_record
    from routers.placement import shard_aliases

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    logs = profile.logs
    workers = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), command],
            env=env,
            cwd=ROOT,
            stdout=open(logs / f"{command}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for command in ("relay_outbox", "consume_notifications")
    ]
    try:
        warm = f"warm-{uuid.uuid4().hex}@example.com"
        committed: dict[str, float] = {}
        for index in range(orders + 1):
            email = warm if index == 0 else f"bench-{index}-{uuid.uuid4().hex[:6]}@example.com"
            alias = shard_aliases()[index % len(shard_aliases())]
            event_payload = payload(farmer_id, email)
            with transaction.atomic(using=alias):
                outbox_record(
                    using=alias, event_type="order_placed", key=str(event_payload["order_id"]), payload=event_payload
                )
            if index == 0:
                wait_for_mail(profile.maildir, {warm: 0.0}, timeout=90)  # the consumer has joined its group
                continue
            committed[email] = time.time()
            time.sleep(0.05)
        arrived = wait_for_mail(profile.maildir, committed, timeout=120)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    latencies = [arrived[email] - committed[email] for email in committed if email in arrived]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    verdict = "meets" if p99 < 1.0 else "MISSES"
    print(
        f"latency order committed -> confirmation email at the SMTP server ({len(latencies)}/{orders} orders, "
        f"one every 50 ms): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
        f"({verdict} the p99 < 1 s target)"
    )


def wait_for_mail(maildir: Path, recipients: dict[str, float], timeout: float) -> dict[str, float]:
    """When each recipient's mail was filed (the Maildir file's modification time)."""
    from email.parser import BytesHeaderParser

    arrived: dict[str, float] = {}
    seen: set[Path] = set()
    deadline = time.monotonic() + timeout
    while len(arrived) < len(recipients) and time.monotonic() < deadline:
        for path in [*(maildir / "new").glob("*"), *(maildir / "cur").glob("*")]:
            if path in seen:
                continue
            seen.add(path)
            to = BytesHeaderParser().parsebytes(path.read_bytes())["To"]
            if to in recipients:
                arrived[to] = path.stat().st_mtime
        time.sleep(0.1)
    return arrived


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=6000, help="events per throughput round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=100, help="orders timed for latency")
    parser.add_argument("--compression", default="", help="KAFKA_COMPRESSION_TYPE for both producers, e.g. gzip")
    args = parser.parse_args()
    os.environ["KAFKA_COMPRESSION_TYPE"] = args.compression

    profile = config.profile("test")
    stack.up(profile, fresh=True, quiet=True)
    try:
        django.setup()
        from django.core.management import call_command

        from tests.marketplace.factories import FarmerFactory

        call_command("migrate_all", verbosity=0)
        farmer = FarmerFactory(farm_name="Bench Farm")
        print(f"stack {profile.root} on port base {profile.port_base}; {os.cpu_count()} cores shared", flush=True)
        throughput(args.events, args.rounds, args.batch_size, farmer.id)
        latency(args.orders, profile, farmer.id)
    finally:
        stack.down(profile, quiet=True)


if __name__ == "__main__":
    main()
