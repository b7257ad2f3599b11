"""One order shard's server stopped: its customers are asked to retry, everyone else shops on."""

import pytest
from django.test import Client

from marketplace.models import Product
from orders.models import ReservationStatus, StockReservation
from tests.orders.checkout_client import cart_fill, place, review_form
from tests.orders.factories import ProductFactory, customer_on


@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_customers_of_a_stopped_shard_are_asked_to_retry_and_keep_no_stock_reserved(shard_0_stopped):
    product = ProductFactory(stock=5)
    stranded, fine = customer_on("shard_0"), customer_on("shard_1")
    stranded_client, fine_client = Client(), Client()
    cart_fill(stranded_client, {product.id: 2})
    cart_fill(fine_client, {product.id: 1})

    refused = place(stranded_client, review_form(stranded_client, email=stranded.email))
    accepted = place(fine_client, review_form(fine_client, email=fine.email))

    assert refused.status_code == 503
    assert "try again shortly" in refused.content.decode()
    assert accepted.status_code == 302
    assert Product.objects.get(id=product.id).stock == 4
    assert not StockReservation.objects.filter(status=ReservationStatus.RESERVED).exists()
    assert stranded_client.session["cart"] == {str(product.id): 2}
