"""Catalog reads on the real streaming replica: proven from the servers' own statistics, with the
fallback to the primary when the replica stops and the return when it is back."""

import threading
import time

import pytest
from django.db import transaction
from django.db.models import F

from devstack import processes, stack
from marketplace.models import Product
from routers.replica import replica_health, request_routing
from tests.marketplace.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

STOREFRONT_URLS = ["/", "/products/", "/products/?category=fruit", "/products/?q=apples", "/farms/", "/cart/"]


@pytest.fixture
def catalog(replica_caught_up):
    fruit = CategoryFactory(name="Fruit", slug="fruit")
    apples = ProductFactory(name="Honeycrisp Apples", slug="apples", category=fruit)
    replica_caught_up()
    return {"apples": apples}


def test_a_storefront_page_reads_the_catalog_on_the_replica(client, catalog, catalog_statements):
    catalog_statements.reset()

    response = client.get("/products/?category=fruit")

    assert response.status_code == 200
    assert catalog_statements.catalog_calls(catalog_statements.replica) >= 3
    assert catalog_statements.catalog_calls(catalog_statements.primary) == 0


def test_reads_in_a_transaction_or_after_a_write_go_to_the_primary(catalog):
    with request_routing(pinned=False):
        plain = Product.objects.all().db
        with transaction.atomic():
            in_transaction = Product.objects.all().db
    with request_routing(pinned=False) as routing:
        catalog["apples"].save()
        after_a_write = Product.objects.all().db
    with request_routing(pinned=True):
        pinned = Product.objects.all().db

    assert plain == "replica"
    assert (in_transaction, after_a_write, pinned) == ("default", "default", "default")
    assert routing.wrote


def test_a_bare_stock_update_such_as_a_checkouts_take_does_not_pin(catalog):
    with request_routing(pinned=False) as routing:
        Product.objects.filter(pk=catalog["apples"].pk, stock__gte=1).update(stock=F("stock") - 1)
        after = Product.objects.all().db

    assert after == "replica"
    assert not routing.wrote


def test_a_replica_lagging_beyond_the_bound_is_skipped_and_that_is_logged(catalog, settings, caplog):
    settings.REPLICA_MAX_LAG_SECONDS = -1

    with request_routing(pinned=False):
        alias = Product.objects.all().db

    assert alias == "default"
    assert "replica out of service (lagging" in caplog.text


@pytest.fixture
def replay_paused(test_stack):
    """The replica keeps receiving WAL but replays none of it until the function given is called."""
    replica = stack.replica(test_stack)
    replica.fetch_one("SELECT pg_wal_replay_pause()")

    def resume() -> None:
        replica.fetch_one("SELECT pg_wal_replay_resume()")

    yield resume
    resume()


def _received_and_not_replayed(test_stack) -> None:
    """A commit the replica receives (and, replay paused, does not apply) after a quiet second."""
    time.sleep(1.2)
    ProductFactory()
    primary = stack.primary(test_stack)
    target = primary.fetch_one("SELECT pg_current_wal_insert_lsn()")[0]
    primary.wal_flush()
    received = "SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn"
    replica = stack.replica(test_stack)
    assert processes.wait_until(lambda: replica.fetch_one(received, (target,))[0], timeout=10, interval=0.02), (
        "the replica did not receive the commit"
    )


def test_a_replica_that_replays_at_once_what_it_receives_after_a_quiet_spell_stays_in_service(
    catalog, replay_paused, test_stack, settings, monkeypatch, caplog
):
    settings.REPLICA_MAX_LAG_SECONDS = 1.1
    monkeypatch.setattr("routers.replica.LAG_RECHECK_SECONDS", 1.0)
    _received_and_not_replayed(test_stack)
    threading.Timer(0.3, replay_paused).start()  # replayed while the router looks again

    with request_routing(pinned=False):
        alias = Product.objects.all().db

    assert alias == "replica"
    assert "out of service" not in caplog.text


def test_a_replica_that_does_not_replay_what_it_received_is_skipped(
    catalog, replay_paused, test_stack, settings, caplog
):
    settings.REPLICA_MAX_LAG_SECONDS = 1
    _received_and_not_replayed(test_stack)

    with request_routing(pinned=False):
        alias = Product.objects.all().db

    assert alias == "default"
    assert "replica out of service (lagging" in caplog.text


@pytest.fixture
def replica_cut_off(test_stack):
    """The replica keeps serving but stops receiving WAL: its connection to the primary is cut."""
    replica = stack.replica(test_stack)
    conninfo = replica.fetch_one("SHOW primary_conninfo")[0]
    replica.fetch_one("ALTER SYSTEM SET primary_conninfo = ''")
    replica.fetch_one("SELECT pg_reload_conf()")
    assert processes.wait_until(
        lambda: not replica.fetch_one("SELECT count(*) FROM pg_stat_wal_receiver")[0], timeout=10, interval=0.05
    ), "the replica kept streaming"
    yield
    replica.fetch_one("ALTER SYSTEM SET primary_conninfo = %s", (conninfo,))
    replica.fetch_one("SELECT pg_reload_conf()")
    stack.wait_for_streaming(test_stack)


def test_a_replica_cut_off_from_its_primary_is_skipped_and_that_is_logged(catalog, replica_cut_off, caplog):
    with request_routing(pinned=False):
        alias = Product.objects.all().db

    assert alias == "default"
    assert "replica out of service (not streaming from the primary)" in caplog.text


def test_stopping_the_replica_keeps_every_page_up_and_restarting_sends_reads_back(
    client, catalog, catalog_statements, test_stack, settings, caplog, replica_caught_up
):
    settings.CATALOG_CACHE_SECONDS = 0  # every page goes to a database
    settings.REPLICA_HEALTH_CHECK_SECONDS = 60
    assert client.get("/products/").status_code == 200  # the replica answered, and is believed healthy
    catalog_statements.replica.stop()
    try:
        codes = {url: client.get(url).status_code for url in STOREFRONT_URLS}
    finally:
        catalog_statements.replica.start()
        stack.wait_for_streaming(test_stack)
        # Streaming again, but replaying what piled up meanwhile reads as lag until it is done.
        replica_caught_up()
    settings.REPLICA_HEALTH_CHECK_SECONDS = 0.2
    time.sleep(0.3)
    catalog_statements.reset()

    back = client.get("/products/")

    assert codes == dict.fromkeys(STOREFRONT_URLS, 200)
    assert "replica out of service (a query failed" in caplog.text
    assert back.status_code == 200
    assert "replica back in service" in caplog.text
    assert catalog_statements.catalog_calls(catalog_statements.replica) >= 3
    assert replica_health.usable()
