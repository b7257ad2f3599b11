"""The farmer's admin lists their own delivery manifests, with signed links, and nobody else's."""

import uuid

import pytest

from events.contracts import order_placed_decode
from fulfilment.services import manifest_order_add
from marketplace.services import farmer_register
from tests.eventstack import order_placed_payload


def staff_farmer(name: str):
    tag = uuid.uuid4().hex[:8]
    return farmer_register(
        username=f"f-{tag}", email=f"f-{tag}@example.com", password=None, farm_name=name, town="Springfield"
    )


@pytest.mark.django_db(databases=["default"])
def test_a_farmer_sees_only_their_own_manifests_with_signed_links(client):
    mine, theirs = staff_farmer("Hillside"), staff_farmer("Riverbend")
    [own] = manifest_order_add(order=order_placed_decode(order_placed_payload(farmers=[mine])))
    [other] = manifest_order_add(order=order_placed_decode(order_placed_payload(farmers=[theirs])))
    client.force_login(mine.user)

    listing = client.get("/admin/fulfilment/deliverymanifest/")
    foreign = client.get(f"/admin/fulfilment/deliverymanifest/{other.id}/change/")

    assert listing.status_code == 200
    assert "Hillside" in listing.text
    assert "Riverbend" not in listing.text
    assert "X-Amz-Signature=" in listing.text
    assert client.get(f"/admin/fulfilment/deliverymanifest/{own.id}/change/").status_code == 200
    assert foreign.status_code == 404
