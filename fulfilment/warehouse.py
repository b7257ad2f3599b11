"""Pushing stock changes to a farmer's warehouse system over HTTP, retrying what may be transient."""

import time

import requests
from django.conf import settings

from events.processing import PermanentFailure
from fulfilment.models import WarehouseEndpoint

TRANSIENT_STATUSES = {408, 425, 429}


class WarehouseUnavailable(RuntimeError):
    """The warehouse did not take the change after every attempt; the consumer retries the event."""


class WarehouseRejected(PermanentFailure):
    """The warehouse refused the change (a 4xx): sending it again will not help."""


def warehouse_changes_push(*, endpoint: WarehouseEndpoint, idempotency_key: str, body: dict) -> None:
    """POST `body` to the endpoint, retrying connection errors, timeouts, 5xx and 429 with doubling
    delays. The idempotency key is the same on every attempt (and on a redelivered event), so the
    warehouse can apply a change once however often it arrives."""
    headers = {"Idempotency-Key": idempotency_key}
    if endpoint.token:
        headers["Authorization"] = f"Bearer {endpoint.token}"
    delay = settings.WAREHOUSE_BACKOFF_S
    problem = ""
    for attempt in range(1, settings.WAREHOUSE_ATTEMPTS + 1):
        try:
            response = requests.post(endpoint.url, json=body, headers=headers, timeout=settings.WAREHOUSE_TIMEOUT_S)
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 300:
                return
            if response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES:
                raise WarehouseRejected(f"{endpoint.url} answered {response.status_code}: {response.text[:200]}")
            problem = f"answered {response.status_code}"
        if attempt < settings.WAREHOUSE_ATTEMPTS:
            time.sleep(delay)
            delay *= 2
    raise WarehouseUnavailable(f"{endpoint.url} {problem} after {settings.WAREHOUSE_ATTEMPTS} attempts")
