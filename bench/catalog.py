"""Catalog pages under gunicorn against the framework's floor, and the replica's share of catalog reads.

    UH_STACK_DIR=.stack/bench-catalog UH_STACK_PORT_BASE=30500 .venv/bin/python bench/catalog.py --products 500

Give it a folder of its own (UH_STACK_DIR): the launcher refuses `make run`'s on other ports.

On the dev profile of the local stack (started for the run and stopped after it, unless it was up
already) with the demo catalog (`seed_demo`), one gunicorn serves both the real pages and a minimal
view returning a page of the same size from memory (bench/urls.py); each is measured after
`--warmup` seconds of the same load, not counted.
Tracing is on as the chosen `--traces` configuration has it (printed with the figures): `sampled`
(the default, as a deployment runs: OTLP/HTTP through the batch processor to a collector, here a sink
in this process, heads sampled with OTEL_TRACES_SAMPLER=parentbased_traceidratio at
`--sample-ratio`), `otlp` (the same, every request traced), `file` (as `make run` has it: every span
written to the dev stack's traces file) or `none`. Each figure is measured in the same run, side
by side:
- product list and product detail: requests/s, p50 and p99, and the ratio to the floor's requests/s
  (target >= 0.5), in `--rounds` rounds of the page then its floor: the medians, and the median of
  the rounds' ratios (a noisy machine moves both of a round's figures together);
- under a mixed load (shoppers browsing and searching, one shopper ordering through the cart and
  checkout every `--order-pause` seconds, one farmer editing stock in the admin every second), the
  share of catalog reads the replica executed, counted by each server's pg_stat_statements (SELECTs
  on catalog tables; target >= 95 %). Checkout reads the primary by design (orders/selectors.py).
"""

import argparse
import contextlib
import http.client
import http.server
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from bench.stats import percentile  # noqa: E402
from bench.tracing import TRACES, SpanSink, tracing_env  # noqa: E402
from devstack import config, stack  # noqa: E402
from devstack.processes import free_port, port_open, wait_until  # noqa: E402

# Catalog reads. Writes can only ever run on the primary, so they are not part of the share, nor are
# the foreign-key checks PostgreSQL runs inside them (`SELECT ... FOR KEY SHARE`).
CATALOG_READS = (
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND query ILIKE 'SELECT%%' AND query NOT LIKE '%%FOR KEY SHARE%%' AND query LIKE %s"
)
PRODUCT_LINK = re.compile(r'href="(/farms/[\w-]+/[\w-]+/)"')
FARMER_PASSWORD = "harvest-demo"
CHECKOUT_DETAILS = {"email": "bench@example.com", "phone": "555 0100 200", "method": "address", "address": "1 Main St"}


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _hammer(job: tuple[int, list[str], float, int]) -> tuple[list[float], int]:
    port, paths, seconds, seed = job
    rng, latencies, errors = random.Random(seed), [], 0
    deadline = time.perf_counter() + seconds
    while (started := time.perf_counter()) < deadline:
        status, _ = get(port, rng.choice(paths))
        latencies.append(time.perf_counter() - started)
        errors += status != 200
    return latencies, errors


def load(port: int, paths: list[str], *, seconds: float, concurrency: int, warmup: float) -> dict:
    """The figures of `seconds` of requests for `paths`, after `warmup` seconds of the same load that
    are not counted (a running site has its pages kept already)."""
    with multiprocessing.Pool(concurrency) as pool:
        pool.map(_hammer, [(port, paths, warmup, seed) for seed in range(concurrency)])
        results = pool.map(_hammer, [(port, paths, seconds, seed) for seed in range(concurrency)])
    latencies = [latency for worker, _ in results for latency in worker]
    return {
        "rps": len(latencies) / seconds,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "errors": sum(errors for _, errors in results),
    }


def _shopper_who_orders(job: tuple[int, list[str], float, float]) -> int:
    """Over and over, `pause` seconds apart: a product page, add it to the cart, the cart, checkout,
    review, place the order. Returns the orders placed."""
    import requests

    port, products, seconds, pause = job
    session, placed, base = requests.Session(), 0, f"http://127.0.0.1:{port}"
    headers = {"Referer": base}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = session.get(base + random.choice(products), timeout=30)
        product = re.search(r'name="product" value="(\d+)"', page.text)
        if not product:
            continue  # sold out
        token = {"csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
        session.post(base + "/cart/add/", data={"product": product.group(1), "quantity": "1", **token}, headers=headers)
        session.get(base + "/cart/", timeout=30)
        session.post(base + "/checkout/", data={**CHECKOUT_DETAILS, **token}, headers=headers, timeout=30)
        review = session.get(base + "/checkout/review/", timeout=30).text
        form = dict(re.findall(r'<input type="hidden" name="(basket|idempotency_key)" value="([^"]+)"', review))
        done = session.post(
            base + "/checkout/review/", data={**form, **token}, headers=headers, timeout=30, allow_redirects=False
        )
        placed += "/confirmation/" in done.headers.get("Location", "")
        time.sleep(pause)
    return placed


def _farmer_in_the_admin(job: tuple[int, str, list[dict], float]) -> int:
    """Logs in, then adjusts one of the farm's products' stock once a second."""
    import requests

    port, username, products, seconds = job
    session, base, edits = requests.Session(), f"http://127.0.0.1:{port}", 0
    session.get(base + "/admin/login/", timeout=30)
    login = {"username": username, "password": FARMER_PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    session.post(base + "/admin/login/", data=login, headers={"Referer": base}, timeout=30)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        product = random.choice(products)
        form = {**product["form"], "adjust_stock": "1", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        url = f"{base}/admin/marketplace/product/{product['id']}/change/"
        saved = session.post(url, data=form, headers={"Referer": base}, timeout=30, allow_redirects=False)
        edits += saved.status_code == 302
        time.sleep(1)
    return edits


def farmer_forms() -> tuple[str, list[dict]]:
    """A demo farmer's username and the admin form data of their products."""
    import django

    django.setup()
    from django.db import connections

    from marketplace.models import Farmer
    from routers.replica import reads_from_primary

    with reads_from_primary():
        farmer = Farmer.objects.select_related("user").order_by("slug").first()
        products = [
            {
                "id": p.pk,
                "form": {
                    "name": p.name,
                    "slug": p.slug,
                    "category": p.category_id,
                    "description": p.description,
                    "unit": p.unit,
                    "price": str(p.price),
                    "is_active": "on",
                    "images-TOTAL_FORMS": "0",
                    "images-INITIAL_FORMS": "0",
                    "images-MIN_NUM_FORMS": "0",
                    "images-MAX_NUM_FORMS": "1000",
                },
            }
            for p in farmer.products.all()[:20]
        ]
    connections.close_all()
    return farmer.user.username, products


def replica_share(
    profile, port: int, paths: list[str], products: list[str], *, seconds: float, browsers: int, order_pause: float
):
    primary, replica = stack.primary(profile), stack.replica(profile)
    username, forms = farmer_forms()
    for server in (primary, replica):
        server.fetch_one("SELECT pg_stat_statements_reset()", dbname=config.DATABASE_NAME)
    with multiprocessing.Pool(browsers + 2) as pool:
        browsing = pool.map_async(_hammer, [(port, paths, seconds, 100 + i) for i in range(browsers)])
        orders = pool.apply_async(_shopper_who_orders, [(port, products, seconds, order_pause)])
        edits = pool.apply_async(_farmer_in_the_admin, [(port, username, forms, seconds)])
        pages = sum(len(latencies) for latencies, _ in browsing.get())
        orders, edits = orders.get(), edits.get()
    on = {
        name: int(server.fetch_one(CATALOG_READS, ("%marketplace_%",), dbname=config.DATABASE_NAME)[0])
        for name, server in (("primary", primary), ("replica", replica))
    }
    return {"pages": pages, "orders": orders, "edits": edits, **on}


@contextlib.contextmanager
def dev_stack() -> Iterator[config.Profile]:
    """The dev profile's stack, started for the run and stopped after it; one that was up already
    (`make run`'s, or an earlier run's) is used and left up."""
    profile = config.profile("dev")
    was_up = stack.primary(profile).running
    stack.up(profile, quiet=True)
    try:
        yield profile
    finally:
        if not was_up:
            stack.down(profile, quiet=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000, help="catalog size (seed_demo --products)")
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four throughput figures")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of uncounted load before each")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--order-pause", type=float, default=1.0, help="seconds the ordering shopper waits between orders"
    )
    parser.add_argument("--traces", choices=TRACES, default="sampled", help="tracing configuration (see above)")
    parser.add_argument("--sample-ratio", type=float, default=0.1, help="share traced by --traces sampled")
    args = parser.parse_args()

    with dev_stack() as profile:
        config.apply_defaults(profile)
        manage("migrate_all", "-v", "0")
        manage("seed_demo", "--products", str(args.products), "--farmer-password", FARMER_PASSWORD)
        # With DEBUG off every page's {% static %} needs the manifest, which a fresh stack's S3 lacks.
        manage("collectstatic", "--noinput", "-v", "0")
        stack.primary(profile).fetch_one(
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname=config.DATABASE_NAME
        )

        port = free_port()
        sink = SpanSink() if args.traces in ("sampled", "otlp") else None
        tracing, tracing_label = tracing_env(args.traces, args.sample_ratio, sink)
        env = {
            **os.environ,
            **tracing,
            "WEB_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(args.workers),
            "LOG_LEVEL": "WARNING",
        }
        gunicorn_conf = str(ROOT / "urbanharvest" / "gunicorn.conf.py")
        log_path = profile.logs / "bench-catalog-web.log"
        log = log_path.open("w")  # gunicorn writes it until the finally below
        command = [sys.executable, "-m", "gunicorn", "-c", gunicorn_conf]
        load_before = " ".join(f"{load:.2f}" for load in os.getloadavg())
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            if not wait_until(lambda: port_open(port), timeout=30):
                sys.exit("gunicorn did not start")
            list_paths = [f"/products/?page={page}" for page in range(1, 21)]
            list_pages = [get(port, path)[1] for path in list_paths]  # also warms every worker's caches
            detail_paths = sorted({link for body in list_pages for link in PRODUCT_LINK.findall(body.decode())})
            detail_size = statistics.median(len(get(port, path)[1]) for path in detail_paths[:50])
            list_size = statistics.median(len(body) for body in list_pages)
            run = {"seconds": args.seconds, "concurrency": args.concurrency, "warmup": args.warmup}
            loads = {
                "product list": list_paths,
                "list floor": [f"/bench/floor/{int(list_size)}/"],
                "product detail": detail_paths,
                "detail floor": [f"/bench/floor/{int(detail_size)}/"],
            }
            rounds = [{name: load(port, paths, **run) for name, paths in loads.items()} for _ in range(args.rounds)]
            browse = [*list_paths, *detail_paths, "/", "/farms/", "/products/?q=tomatoes", "/products/?category=fruit"]
            share = replica_share(
                profile,
                port,
                browse,
                detail_paths,
                seconds=args.seconds,
                browsers=max(args.concurrency - 2, 1),
                order_pause=args.order_pause,
            )
        finally:
            server.terminate()
            server.wait(timeout=15)
            log.close()
    transitions = [line.strip() for line in log_path.read_text().splitlines() if "routers.replica" in line]

    print(
        f"\ncatalog of {args.products} products; gunicorn {args.workers} workers; {args.concurrency} client processes;"
        f" {args.rounds} rounds of {args.seconds:g} s per figure, each after {args.warmup:g} s of warm-up"
    )
    print(f"tracing: {tracing_label}" + (f"; {sink.spans} spans exported" if sink else ""))
    load_after = " ".join(f"{load:.2f}" for load in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load_before} before the run, {load_after} after (2 cores, shared)")
    print(f"pages: list {list_size / 1024:.1f} KiB, detail {detail_size / 1024:.1f} KiB (floor pages the same size)")
    print(f"{'medians of the rounds':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name in loads:
        rps, p50, p99 = (statistics.median(r[name][figure] for r in rounds) for figure in ("rps", "p50", "p99"))
        print(f"{name:<22}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{sum(r[name]['errors'] for r in rounds):>8}")
    for page, floor in (("product list", "list floor"), ("product detail", "detail floor")):
        ratios = [r[page]["rps"] / r[floor]["rps"] for r in rounds]
        each = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"{page} / floor throughput: {statistics.median(ratios):.2f} (rounds {each})  (target >= 0.50)")
    total = share["replica"] + share["primary"]
    print(
        f"mixed load: {share['pages']} pages browsed, {share['orders']} orders placed,"
        f" {share['edits']} farmer stock edits;"
        f" catalog reads on the replica {share['replica']}, on the primary {share['primary']}:"
        f" {100 * share['replica'] / max(total, 1):.1f} % on the replica  (target >= 95 %)"
    )
    print(f"replica health transitions logged by the web workers: {len(transitions)}")
    for line in transitions:
        print("  " + line)


if __name__ == "__main__":
    main()
