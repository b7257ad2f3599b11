import pytest
from django.test import Client
from django.urls import reverse

from orders.models import FarmerOrderLine
from tests.orders.factories import ProductFactory, placed_order

SHARDED = ["default", "shard_0", "shard_1"]
LINES = reverse("admin:orders_farmerorderline_changelist")


@pytest.mark.django_db(databases=SHARDED)
def test_a_farmer_sees_their_order_lines_in_the_admin_and_nobody_elses(client: Client):
    mine = ProductFactory(name="Purple carrots")
    theirs = ProductFactory(name="Golden beets")
    placed_order(product=mine, quantity=2)
    placed_order(product=theirs, quantity=7)
    client.force_login(mine.farmer.user)

    page = client.get(LINES).content.decode()

    assert "Purple carrots" in page
    assert "Golden beets" not in page


@pytest.mark.django_db(databases=SHARDED)
def test_a_farmer_cannot_open_another_farmers_line_by_id(client: Client):
    mine, theirs = ProductFactory(), ProductFactory()
    placed_order(product=theirs)
    their_line = FarmerOrderLine.objects.get(farmer=theirs.farmer)
    client.force_login(mine.farmer.user)

    response = client.get(reverse("admin:orders_farmerorderline_change", args=[their_line.id]))

    assert response.status_code == 302  # the admin says "does not exist" and goes back to its index
    assert theirs.name not in response.content.decode()
