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


def test_a_cached_product_page_still_shows_each_shopper_their_own_cart_and_form(carrots):
    Client().get(carrots.get_absolute_url())  # a first shopper's visit caches the product's page
    buyer = Client(enforce_csrf_checks=True)
    buyer.get(carrots.get_absolute_url())
    token = buyer.cookies["csrftoken"].value
    buyer.post("/cart/add/", {"product": carrots.pk, "quantity": 2, "csrfmiddlewaretoken": token})

    page = buyer.get(carrots.get_absolute_url())
    stranger_page = Client().get(carrots.get_absolute_url())

    assert "2 in your cart" in page.text
    assert "in your cart" not in stranger_page.text
    added = buyer.post("/cart/add/", {"product": carrots.pk, "quantity": 1, "csrfmiddlewaretoken": token})
    assert added.status_code == 302 and buyer.get("/cart/").context["cart"].item_count == 3
