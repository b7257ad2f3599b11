"""A storefront page's trace says where its catalog reads went: the replica, or the primary once the
replica is down."""

import pytest

from devstack import stack
from tests.marketplace.factories import ProductFactory
from urbanharvest import telemetry

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def products_page(client, settings, replica_caught_up):
    """GET /products/ with a product on it, answered from a database every time (no fragment cache)."""
    settings.CATALOG_CACHE_SECONDS = 0
    ProductFactory(name="Honeycrisp Apples")
    replica_caught_up()
    return lambda: client.get("/products/")


def catalog_query_aliases(spans) -> set[str]:
    return {
        s.attributes[telemetry.DB_ALIAS_ATTRIBUTE]
        for s in spans.get_finished_spans()
        if "marketplace_product" in s.attributes.get("db.statement", "")
    }


def test_a_storefront_pages_catalog_queries_name_the_replica(products_page, spans):
    response = products_page()

    view = next(s for s in spans.get_finished_spans() if s.name == "GET products/")
    assert response.status_code == 200
    assert view.status.is_ok
    assert catalog_query_aliases(spans) == {"replica"}


def test_with_the_replica_stopped_the_same_pages_catalog_queries_name_the_primary(products_page, spans, test_stack):
    replica = stack.replica(test_stack)
    replica.stop()
    try:
        products_page()  # the first read finds the replica gone, and the process stops using it
        spans.clear()
        response = products_page()
    finally:
        replica.ensure_up()
        stack.wait_for_streaming(test_stack)

    assert response.status_code == 200
    assert catalog_query_aliases(spans) == {"default"}
