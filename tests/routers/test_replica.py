"""Catalog reads on the real streaming replica: proven from the servers' own statistics, with the
fallback to the primary when the replica stops and the return when it is back."""

import time

import pytest
from django.db import transaction

from devstack import stack
from devstack.config import DATABASE_NAME
from marketplace.models import Product
from routers.replica import reads_from_primary, replica_health, request_routing
from tests.marketplace.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

CATALOG_CALLS = (
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE %s"
)
STOREFRONT_URLS = ["/", "/products/", "/products/?category=fruit", "/products/?q=apples", "/farms/", "/cart/"]


@pytest.fixture
def statements(test_stack, replica_caught_up):
    """Counts, per server, the statements that read a catalog table since `reset()`."""
    primary, replica = stack.primary(test_stack), stack.replica(test_stack)
    primary.fetch_one("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", dbname=DATABASE_NAME)
    replica_caught_up()

    class Statements:
        def reset(self) -> None:
            for server in (primary, replica):
                server.fetch_one("SELECT pg_stat_statements_reset()", dbname=DATABASE_NAME)

        def catalog_calls(self, server) -> int:
            return int(server.fetch_one(CATALOG_CALLS, ("%marketplace_%",), dbname=DATABASE_NAME)[0])

    statements = Statements()
    statements.primary, statements.replica = primary, replica
    return statements


@pytest.fixture
def catalog(replica_caught_up):
    fruit = CategoryFactory(name="Fruit", slug="fruit")
    apples = ProductFactory(name="Honeycrisp Apples", slug="apples", category=fruit)
    replica_caught_up()
    return {"apples": apples}


def test_a_storefront_page_reads_the_catalog_on_the_replica(client, catalog, statements):
    statements.reset()

    response = client.get("/products/?category=fruit")

    assert response.status_code == 200
    assert statements.catalog_calls(statements.replica) >= 3
    assert statements.catalog_calls(statements.primary) == 0


def test_reads_in_a_transaction_or_a_pinned_request_go_to_the_primary(catalog):
    with transaction.atomic():
        in_transaction = Product.objects.all().db
    with reads_from_primary():
        pinned = Product.objects.all().db
    with request_routing(pinned=False) as routing:
        catalog["apples"].save()
        after_a_write = Product.objects.all().db

    assert (in_transaction, pinned, after_a_write) == ("default", "default", "default")
    assert routing.wrote
    assert Product.objects.all().db == "replica"


def test_a_replica_lagging_beyond_the_bound_is_skipped_and_that_is_logged(catalog, settings, caplog):
    settings.REPLICA_MAX_LAG_SECONDS = -1

    alias = Product.objects.all().db

    assert alias == "default"
    assert "replica out of service (lagging" in caplog.text


def test_stopping_the_replica_keeps_every_page_up_and_restarting_sends_reads_back(
    client, catalog, statements, test_stack, settings, caplog
):
    settings.REPLICA_HEALTH_CHECK_SECONDS = 60
    assert client.get("/products/").status_code == 200  # the replica answered, and is believed healthy
    statements.replica.stop()
    try:
        codes = {url: client.get(url).status_code for url in STOREFRONT_URLS}
    finally:
        statements.replica.start()
        stack.wait_for_streaming(test_stack)
    settings.REPLICA_HEALTH_CHECK_SECONDS = 0.2
    time.sleep(0.3)
    statements.reset()

    back = client.get("/products/")

    assert codes == dict.fromkeys(STOREFRONT_URLS, 200)
    assert "replica out of service (a query failed" in caplog.text
    assert back.status_code == 200
    assert "replica back in service" in caplog.text
    assert statements.catalog_calls(statements.replica) >= 3
    assert replica_health.usable()
