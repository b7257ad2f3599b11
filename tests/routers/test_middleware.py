"""Read-your-writes: a farmer who saves a product reads the primary for a while, so their next page
shows the change; a shopper without the pin reads the replica, which converges within the bound."""

import time

import pytest
from django.conf import settings
from django.test import Client

from routers.middleware import PIN_COOKIE
from tests.marketplace.admin_forms import product_form_data
from tests.marketplace.factories import PASSWORD, ProductFactory, farmer_make

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def farmer_client(client, replica_caught_up):
    farmer = farmer_make()
    product = ProductFactory(farmer=farmer, name="Carrots", slug="carrots")
    assert client.login(username=farmer.user.username, password=PASSWORD)
    replica_caught_up()
    return client, product


def _edit(client, product, name: str):
    url = f"/admin/marketplace/product/{product.pk}/change/"
    return client.post(url, product_form_data(product, name=name))


def test_a_farmer_sees_their_edit_on_the_next_page_read_from_the_primary(farmer_client, catalog_statements):
    client, product = farmer_client

    saved = _edit(client, product, "Purple Carrots")
    catalog_statements.reset()
    page = client.get(product.get_absolute_url())

    assert saved.status_code == 302
    assert saved.cookies[PIN_COOKIE]["max-age"] == settings.REPLICA_PIN_SECONDS
    assert "Purple Carrots" in page.text
    assert catalog_statements.catalog_calls(catalog_statements.primary) >= 1
    assert catalog_statements.catalog_calls(catalog_statements.replica) == 0


def test_a_shopper_without_the_pin_sees_the_edit_within_the_lag_bound(farmer_client):
    client, product = farmer_client
    shopper = Client()
    _edit(client, product, "Purple Carrots")
    deadline = time.monotonic() + settings.REPLICA_MAX_LAG_SECONDS

    while "Purple Carrots" not in (page := shopper.get(product.get_absolute_url())).text:
        assert time.monotonic() < deadline, "the replica did not converge within REPLICA_MAX_LAG_SECONDS"
        time.sleep(0.05)

    assert PIN_COOKIE not in shopper.cookies
    assert page.status_code == 200


def test_a_farmer_sees_their_edit_on_their_farms_product_cards_at_once(farmer_client):
    client, product = farmer_client
    client.get(product.farmer.get_absolute_url())

    _edit(client, product, "Purple Carrots")
    page = client.get(product.farmer.get_absolute_url())

    assert '<span class="name">Purple Carrots</span>' in page.text
