"""Checkout throughput: orders placed over HTTP (gunicorn) at rising concurrency, beside pgbench running
the same order-placing SQL on the same PostgreSQL servers, in the same run.

Judged by, at each concurrency: HTTP orders/s >= 0.25 x pgbench TPS, and HTTP p99 <= 10 x pgbench p99.

    UH_STACK_PORT_BASE=31100 .venv/bin/python bench/checkout.py --seconds 8 --levels 1,2,4,8

It runs on a throwaway stack of its own (the test profile's settings, data in .stack/bench), started
fresh and stopped at the end. One HTTP order is one "Place order" POST (a 3-line basket, new
idempotency key each time); the pgbench transaction is that order's SQL as one transaction on the
primary: lock the 3 products in pk order, guarded stock UPDATE, order INSERT, 3 line INSERTs, outbox
INSERT. The load generator is one Python process per client (http.client, a new connection per
order as gunicorn's sync workers close each), sharing the machine's cores with gunicorn and
PostgreSQL; pgbench is C. The web workers trace as `--traces` says (bench/tracing.py; by default
sampled OTLP, as a deployment runs). A cProfile of in-process checkouts shows where the time goes.
"""

import argparse
import contextlib
import cProfile
import http.client
import io
import multiprocessing
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("UH_STACK_DIR", str(ROOT / ".stack" / "bench"))
os.environ["DJANGO_SETTINGS_MODULE"] = "urbanharvest.settings.test"

import django  # noqa: E402
from django.db import connections  # noqa: E402

from bench.stats import percentile  # noqa: E402
from bench.tracing import TRACES, SpanSink, tracing_env  # noqa: E402
from devstack import config, postgres, processes, stack  # noqa: E402

PRODUCTS = 300
LINES = 3
PGBENCH_SCRIPT = """
\\set p1 random(0, :third - 1)
\\set p2 :p1 + :third
\\set p3 :p2 + :third
BEGIN;
SELECT id, price, stock, is_active FROM marketplace_product WHERE id IN (:base + :p1, :base + :p2, :base + :p3)
  ORDER BY id FOR UPDATE;
UPDATE marketplace_product AS p SET stock = p.stock - v.q, updated_at = now()
  FROM (VALUES (:base + :p1, 1), (:base + :p2, 1), (:base + :p3, 1)) AS v(id, q) WHERE p.id = v.id AND p.stock >= v.q;
SELECT nextval('orders_order_id_seq') + (1::bigint << 62) AS oid \\gset
INSERT INTO orders_order (id, reference, customer_id, email, phone, delivery_address, pickup_point, delivery_date,
  total, status, placed_at) VALUES (:oid, substr(md5(random()::text), 1, 12), :client_id, 'bench@example.com',
  '555 0100 200', '1 Orchard Lane', '', current_date + 1, 10.50, 'placed', now());
INSERT INTO orders_orderline (order_id, product_id, farmer_id, name, unit, quantity, unit_price, line_total)
  VALUES (:oid, :base + :p1, 1, 'Bench produce', 'lb', 1, 3.50, 3.50),
         (:oid, :base + :p2, 1, 'Bench produce', 'lb', 1, 3.50, 3.50),
         (:oid, :base + :p3, 1, 'Bench produce', 'lb', 1, 3.50, 3.50);
INSERT INTO outbox_outboxevent (id, topic, key, event_type, payload, headers, created_at)
  VALUES (gen_random_uuid(), 'order_events', :oid::text, 'order_placed', '{"bench": true}', '{}', now());
END;
"""


def seed() -> list[int]:
    """A farmer delivering every day, and products with stock that will not run out."""
    from django.contrib.auth import get_user_model

    from marketplace.models import Category, Farmer, Product

    user = get_user_model().objects.create_user(username="bench-farmer", email="farmer@example.com")
    farmer = Farmer.objects.create(user=user, farm_name="Bench Farm", slug="bench-farm", town="Springfield")
    farmer.order_cutoff = farmer.order_cutoff.replace(hour=23, minute=59)
    farmer.save()
    category = Category.objects.create(name="Bench", slug="bench")
    products = Product.objects.bulk_create(
        Product(farmer=farmer, category=category, name=f"Bench produce {i}", slug=f"p-{i}", price="3.50", stock=10**9)
        for i in range(PRODUCTS)
    )
    return [p.id for p in products]


@dataclass(frozen=True)
class Shopper:
    """One shopper's session (delivery details and a 3-line basket in it) and the signed basket
    the review page gave it: all a Place-order POST needs."""

    port: int
    cookie: str
    csrf_token: str
    basket: str


def shopper_new(port: int, product_ids: list[int], n: int) -> Shopper:
    from django.contrib.sessions.backends.db import SessionStore

    from marketplace.cart import cart_set

    session = SessionStore()
    for product_id in random.sample(product_ids, LINES):
        cart_set(session, product_id=product_id, quantity=1)
    session["checkout_delivery"] = {
        "email": f"bench-{n}-{uuid.uuid4().hex[:8]}@example.com",
        "phone": "555 0100 200",
        "method": "address",
        "address": "1 Orchard Lane",
        "pickup_point": "",
    }
    session.save()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/checkout/review/", headers={"Cookie": f"sessionid={session.session_key}"})
    response = conn.getresponse()
    page = response.read().decode()
    csrf_token = response.getheader("Set-Cookie").split("csrftoken=", 1)[1].split(";", 1)[0]
    basket = page.split('name="basket" value="', 1)[1].split('"', 1)[0]
    return Shopper(port, f"sessionid={session.session_key}; csrftoken={csrf_token}", csrf_token, basket)


def place(shopper: Shopper) -> bool:
    """One Place-order POST (a new idempotency key); True when it redirected to the confirmation."""
    body = urllib.parse.urlencode(
        {"basket": shopper.basket, "idempotency_key": str(uuid.uuid4()), "csrfmiddlewaretoken": shopper.csrf_token}
    )
    headers = {"Cookie": shopper.cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn = http.client.HTTPConnection("127.0.0.1", shopper.port, timeout=30)
    try:
        conn.request("POST", "/checkout/review/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status == 302
    finally:
        conn.close()


def _shop(job: tuple[Shopper, float]) -> tuple[list[float], int]:
    shopper, seconds = job
    latencies, failed = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        failed += not place(shopper)
        latencies.append(time.perf_counter() - started)
    return latencies, failed


def http_run(port: int, product_ids: list[int], clients: int, seconds: float) -> tuple[float, float, float, int]:
    """Orders/s, p50 ms, p99 ms, failures: one load-generating process per client."""
    shoppers = [shopper_new(port, product_ids, n) for n in range(clients)]
    connections.close_all()  # the pool forks: children must not share the parent's connections
    began = time.monotonic()
    with multiprocessing.Pool(clients) as pool:
        results = pool.map(_shop, [(shopper, seconds) for shopper in shoppers])
    elapsed = time.monotonic() - began
    latencies = [latency for mine, _ in results for latency in mine]
    failures = sum(failed for _, failed in results)
    return len(latencies) / elapsed, percentile(latencies, 0.5) * 1e3, percentile(latencies, 0.99) * 1e3, failures


def pgbench_run(port: int, base: int, clients: int, seconds: int) -> tuple[float, float, float]:
    """TPS, p50 ms, p99 ms of the order transaction, from pgbench's per-transaction log."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "place_order.sql"
        script.write_text(PGBENCH_SCRIPT)
        os.chmod(folder, 0o777)
        command = [
            str(postgres.bin_dir() / "pgbench"), "-n", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-f", str(script),
            "-D", f"base={base}", "-D", f"third={PRODUCTS // LINES}", "-l", "--log-prefix", f"{folder}/txn",
            config.DATABASE_NAME,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=folder)
        latencies = [
            int(line.split()[2]) / 1e3 for log in Path(folder).glob("txn*") for line in log.read_text().splitlines()
        ]
    tps = float(result.stdout.split("tps = ")[1].split()[0])
    return tps, percentile(latencies, 0.5), percentile(latencies, 0.99)


AREAS = (  # where a profiled function's own time counts, by the file it is in; the first match wins
    # psycopg2's C calls; traced, their time shows as the instrumentation's cursor wrapper's own
    ("waiting on PostgreSQL", "psycopg2.extensions"),
    ("waiting on PostgreSQL", "TracedCursorFactory.execute"),
    ("ORM and database backend", "django/db/"),
    ("tracing (OpenTelemetry)", "opentelemetry/"),
    ("Django's request cycle: middleware, sessions, forms, signing", "django/"),
    ("UrbanHarvest's own code", str(ROOT)),
)


def profile_in_process(product_ids: list[int], orders: int) -> str:
    """Where one checkout's time goes: cProfile over in-process Place-order requests, traced as
    the web workers trace them, with each function's own time summed by area."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from urbanharvest import telemetry

    connections.close_all()  # reopened through the tracing instrumentation, as in a worker
    telemetry.configure(service_name="bench-checkout")
    shopper = Client(HTTP_HOST="127.0.0.1")
    session = shopper.session
    session["cart"] = {str(pid): 1 for pid in product_ids[:LINES]}
    session["checkout_delivery"] = {
        "email": "profile@example.com",
        "phone": "555 0100 200",
        "method": "address",
        "address": "1 Orchard Lane",
        "pickup_point": "",
    }
    session.save()
    page = shopper.get("/checkout/review/").content.decode()
    basket = page.split('name="basket" value="', 1)[1].split('"', 1)[0]
    captures = [CaptureQueriesContext(connections[alias]) for alias in connections]
    profiler = cProfile.Profile()
    with contextlib.ExitStack() as capturing:
        for capture in captures:
            capturing.enter_context(capture)
        profiler.enable()
        for _ in range(orders):
            shopper.post("/checkout/review/", {"basket": basket, "idempotency_key": str(uuid.uuid4())})
        profiler.disable()
    round_trips = {capture.connection.alias: len(capture) / orders for capture in captures if len(capture)}
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    by_area = dict.fromkeys([area for area, _ in AREAS] + ["Python's standard library and the rest"], 0.0)
    for (filename, _, func), (_, _, own, _, _) in stats.stats.items():
        where = f"{filename} {func}"
        area = next((area for area, marker in AREAS if marker in where), "Python's standard library and the rest")
        by_area[area] += own
    out.write(f"per order: {stats.total_tt / orders * 1e3:.1f} ms in all (profiled, so slower than served)\n")
    for area, seconds in by_area.items():
        out.write(f"  {seconds / orders * 1e3:5.1f} ms  {seconds / stats.total_tt:4.0%}  {area}\n")
    out.write(
        "round trips per order (statements, BEGIN and COMMIT; a served request adds a health check per"
        " database): "
        + ", ".join(f"{alias} {n:.0f}" for alias, n in round_trips.items())
        + f"; pgbench's transaction has {PGBENCH_SCRIPT.count(';') + PGBENCH_SCRIPT.count('gset')}\n\n"
    )
    stats.sort_stats("tottime").print_stats(12)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--levels", default="1,2,4,8")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--traces", choices=TRACES, default="sampled", help="web workers' tracing (bench/tracing.py)")
    parser.add_argument("--sample-ratio", type=float, default=0.1, help="share traced by --traces sampled")
    args = parser.parse_args()
    if "UH_STACK_PORT_BASE" not in os.environ:
        sys.exit("set UH_STACK_PORT_BASE to a free port range: the bench starts a stack of its own there")
    levels = [int(level) for level in args.levels.split(",")]

    profile = config.profile("test")
    stack.up(profile, fresh=True, quiet=True)
    django.setup()
    from django.core.management import call_command

    call_command("migrate_all", verbosity=0)
    # The pages link their CSS through the static manifest: without it every page is a 500.
    call_command("collectstatic", interactive=False, verbosity=0)
    product_ids = seed()
    port = processes.free_port()
    sink = SpanSink() if args.traces in ("sampled", "otlp") else None
    tracing, tracing_label = tracing_env(args.traces, args.sample_ratio, sink)
    env = {**os.environ, **tracing, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.workers)}
    log = (profile.logs / "bench-gunicorn.log").open("w")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "urbanharvest" / "gunicorn.conf.py")],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if not processes.wait_until(lambda: processes.port_open(port), timeout=30):
            sys.exit("gunicorn did not start; see " + str(profile.logs / "bench-gunicorn.log"))
        print(f"warming up ({args.workers} gunicorn workers, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
        print(f"tracing in the web workers: {tracing_label}")
        http_run(port, product_ids, 2, 2)
        pgbench_run(profile.port(config.PRIMARY), min(product_ids), 2, 2)
        header = "clients  http orders/s  p50 ms  p99 ms  fail | pgbench tps  p50 ms  p99 ms | tps ratio  p99 ratio"
        print(header)
        for clients in levels:
            rate, p50, p99, failed = http_run(port, product_ids, clients, args.seconds)
            tps, pg50, pg99 = pgbench_run(profile.port(config.PRIMARY), min(product_ids), clients, args.seconds)
            verdict = "ok" if rate >= 0.25 * tps and p99 <= 10 * pg99 else "short"
            print(
                f"{clients:>7}  {rate:>13.1f}  {p50:>6.1f}  {p99:>6.1f}  {failed:>4} |"
                f" {tps:>11.1f}  {pg50:>6.2f}  {pg99:>6.2f} | {rate / tps:>9.3f}  {p99 / pg99:>9.1f}  {verdict}"
            )
        print("targets: tps ratio >= 0.25, p99 ratio <= 10")
        print("\nwhere the time goes (cProfile of 200 in-process place-order requests, every span recorded):\n")
        print(profile_in_process(product_ids, 200))
        print(f"load average at the end: {statistics.fmean(os.getloadavg()):.1f}")
    finally:
        web.terminate()
        web.wait(timeout=20)
        stack.down(profile, quiet=True)


if __name__ == "__main__":
    main()
