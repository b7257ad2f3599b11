"""Pushing stock changes to a farmer's warehouse: a local fake HTTP server plays the warehouse."""

import pytest

from fulfilment.models import WarehouseEndpoint
from fulfilment.warehouse import WarehouseRejected, WarehouseUnavailable, warehouse_changes_push
from tests.eventstack import farmer_create

BODY = {"changes": [{"product_id": 7, "quantity_delta": -2}]}


@pytest.fixture
def endpoint(fake_http):
    return WarehouseEndpoint.objects.create(farmer=farmer_create(), url=fake_http.url, token="wh-token")


@pytest.mark.django_db(databases=["default"])
def test_transient_failures_are_retried_with_the_same_idempotency_key_until_the_change_lands(endpoint, fake_http):
    fake_http.responses = [503, 429]

    warehouse_changes_push(endpoint=endpoint, idempotency_key="event-1:3", body=BODY)

    assert [request["status"] for request in fake_http.requests] == [503, 429, 200]
    assert {request["headers"]["Idempotency-Key"] for request in fake_http.requests} == {"event-1:3"}
    assert fake_http.requests[0]["headers"]["Authorization"] == "Bearer wh-token"
    assert fake_http.applied == {"event-1:3": BODY}


@pytest.mark.django_db(databases=["default"])
def test_a_warehouse_that_stays_down_is_reported_unavailable_after_the_last_attempt(endpoint, fake_http):
    fake_http.responses = [500] * 10

    with pytest.raises(WarehouseUnavailable, match="after 4 attempts"):
        warehouse_changes_push(endpoint=endpoint, idempotency_key="event-2:3", body=BODY)

    assert len(fake_http.requests) == 4


@pytest.mark.django_db(databases=["default"])
def test_a_rejected_change_is_not_retried(endpoint, fake_http):
    fake_http.responses = [422]

    with pytest.raises(WarehouseRejected, match="422"):
        warehouse_changes_push(endpoint=endpoint, idempotency_key="event-3:3", body=BODY)

    assert len(fake_http.requests) == 1
