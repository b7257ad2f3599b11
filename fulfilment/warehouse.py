"""Pushing stock changes to a farmer's warehouse system over HTTP, telling transient failures from refusals."""

import requests
from django.conf import settings

from events.processing import PermanentFailure
from fulfilment.models import WarehouseEndpoint

TRANSIENT_STATUSES = {408, 425, 429}


class WarehouseUnavailable(RuntimeError):
    """The warehouse did not take the change this time; the consumer retries the event."""


class WarehouseRejected(PermanentFailure):
    """The warehouse refused the change (a 4xx): sending it again will not help."""


def warehouse_changes_push(*, endpoint: WarehouseEndpoint, idempotency_key: str, body: dict) -> None:
    """POST `body` to the endpoint, once. A connection error, timeout, 5xx or 429 raises
    WarehouseUnavailable, which the consumer retries with backoff (events/consumer.py) and
    dead-letters after its last attempt; another 4xx raises WarehouseRejected, not retried. The
    idempotency key is the same on every attempt (and on a redelivered event), so the warehouse can
    apply a change once however often it arrives."""
    headers = {"Idempotency-Key": idempotency_key}
    if endpoint.token:
        headers["Authorization"] = f"Bearer {endpoint.token}"
    try:
        response = requests.post(endpoint.url, json=body, headers=headers, timeout=settings.WAREHOUSE_TIMEOUT_S)
    except requests.RequestException as exc:
        raise WarehouseUnavailable(f"{endpoint.url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code < 300:
        return
    if response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES:
        raise WarehouseRejected(f"{endpoint.url} answered {response.status_code}: {response.text[:200]}")
    raise WarehouseUnavailable(f"{endpoint.url} answered {response.status_code}")
