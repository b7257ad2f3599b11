"""Sending text messages through a pluggable provider (settings.SMS_PROVIDER).

`HttpSmsProvider` posts to an SMS gateway's HTTP API; `RecordingSmsProvider` keeps each message in a
table on the primary instead, for development and tests. Each message carries an idempotency key, the
same every time it is sent: the gateway, and the recording provider, keep one message per key.
"""

import logging
from typing import Protocol

import requests
from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from notifications.models import RecordedSms

logger = logging.getLogger(__name__)


class SmsDeliveryFailed(RuntimeError):
    """The provider did not take the message; the consumer retries the event."""


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str, idempotency_key: str) -> None: ...


_RECORD_SQL = (
    f'INSERT INTO {RecordedSms._meta.db_table} ("to", body, idempotency_key, recorded_at)'  # noqa: S608
    " VALUES (%s, %s, %s, now()) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


class RecordingSmsProvider:
    """Records each message once per idempotency key, dropping a resend as a gateway would."""

    def send(self, *, to: str, body: str, idempotency_key: str) -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute(_RECORD_SQL, [to, body, idempotency_key])
            recorded = cursor.fetchone() is not None
        if not recorded:
            logger.info("recording SMS provider: dropped a resend of %s", idempotency_key)


class HttpSmsProvider:
    """A gateway taking `POST {"to", "from", "body"}` with a bearer token. The idempotency key lets
    the gateway drop the copy a retry after a lost response would otherwise send."""

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout_s: float = 5.0):
        self.url = url or settings.SMS_HTTP_URL
        self.token = token or settings.SMS_HTTP_TOKEN
        self.timeout_s = timeout_s
        if not self.url:
            raise SmsDeliveryFailed("SMS_HTTP_URL is not set")

    def send(self, *, to: str, body: str, idempotency_key: str) -> None:
        try:
            response = requests.post(
                self.url,
                json={"to": to, "from": settings.SMS_SENDER, "body": body},
                headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": idempotency_key},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise SmsDeliveryFailed(f"SMS gateway unreachable: {exc}") from exc
        if response.status_code >= 300:
            raise SmsDeliveryFailed(f"SMS gateway answered {response.status_code}: {response.text[:200]}")


def sms_provider() -> SmsProvider:
    return import_string(settings.SMS_PROVIDER)()
