"""Catalog fragments kept briefly for shoppers who may read lagging data, never for fresh readers."""

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.marketplace.admin_forms import product_form_data
from tests.marketplace.factories import PASSWORD, ProductFactory, farmer_make

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def carrots(replica_caught_up):
    product = ProductFactory(farmer=farmer_make(), name="Carrots", slug="carrots")
    replica_caught_up()
    return product


@pytest.mark.parametrize("url", ["/", "/products/", "/farms/", "/farms/miller-family-farm/", "/farms/x/carrots/"])
def test_a_shoppers_repeated_page_is_served_without_a_query(carrots, url):
    shopper, url = Client(), url.replace("/x/", f"/{carrots.farmer.slug}/")
    shopper.get(url)

    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        again = shopper.get(url)

    assert again.status_code == 200
    assert (len(primary), len(replica)) == (0, 0)


def test_a_farmer_who_just_edited_bypasses_what_shoppers_have_cached(carrots):
    Client().get(carrots.get_absolute_url())  # a shopper's visit caches the product as it was
    farmer = Client()
    farmer.login(username=carrots.farmer.user.username, password=PASSWORD)

    farmer.post(f"/admin/marketplace/product/{carrots.pk}/change/", product_form_data(carrots, name="Purple Carrots"))
    page = farmer.get(carrots.get_absolute_url())

    assert "Purple Carrots" in page.text
