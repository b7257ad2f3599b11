"""Pushing stock changes to a farmer's warehouse: a local fake HTTP server plays the warehouse."""

import pytest

from devstack.processes import free_port
from fulfilment.models import WarehouseEndpoint
from fulfilment.warehouse import WarehouseRejected, WarehouseUnavailable, warehouse_changes_push
from tests.marketplace.factories import FarmerFactory

BODY = {"changes": [{"product_id": 7, "quantity_delta": -2}]}


@pytest.fixture
def endpoint(fake_http):
    return WarehouseEndpoint.objects.create(farmer=FarmerFactory(), url=fake_http.url, token="wh-token")


@pytest.mark.django_db(databases=["default"])
def test_a_change_lands_with_its_idempotency_key_and_the_endpoints_token(endpoint, fake_http):
    warehouse_changes_push(endpoint=endpoint, idempotency_key="event-1:3", body=BODY)

    [request] = fake_http.requests
    assert request["headers"]["Idempotency-Key"] == "event-1:3"
    assert request["headers"]["Authorization"] == "Bearer wh-token"
    assert fake_http.applied == {"event-1:3": BODY}


# The consumer retries the event with backoff (tests/events/test_dead_letters.py): one POST here.
@pytest.mark.parametrize("status", [500, 503, 429, 408])
@pytest.mark.django_db(databases=["default"])
def test_a_transient_failure_is_reported_for_the_consumer_to_retry_after_one_request(endpoint, fake_http, status):
    fake_http.responses = [status]

    with pytest.raises(WarehouseUnavailable, match=f"answered {status}"):
        warehouse_changes_push(endpoint=endpoint, idempotency_key="event-2:3", body=BODY)

    assert len(fake_http.requests) == 1
    assert fake_http.applied == {}


@pytest.mark.django_db(databases=["default"])
def test_a_warehouse_that_does_not_answer_is_reported_unavailable(endpoint):
    endpoint.url = f"http://127.0.0.1:{free_port()}/"

    with pytest.raises(WarehouseUnavailable, match="ConnectionError"):
        warehouse_changes_push(endpoint=endpoint, idempotency_key="event-4:3", body=BODY)


@pytest.mark.django_db(databases=["default"])
def test_a_rejected_change_is_not_retried(endpoint, fake_http):
    fake_http.responses = [422]

    with pytest.raises(WarehouseRejected, match="422"):
        warehouse_changes_push(endpoint=endpoint, idempotency_key="event-3:3", body=BODY)

    assert len(fake_http.requests) == 1
