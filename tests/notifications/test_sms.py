"""The HTTP SMS provider against a local fake gateway."""

import pytest

from notifications.sms import HttpSmsProvider, SmsDeliveryFailed


def test_the_http_provider_posts_the_message_with_its_token_and_idempotency_key(fake_http):
    provider = HttpSmsProvider(url=fake_http.url, token="s3cret")

    provider.send(to="+15550100", body="Order UH-1 confirmed", idempotency_key="event-1:order-confirmation")

    [request] = fake_http.requests
    assert request["body"] == {"to": "+15550100", "from": "UrbanHarvest", "body": "Order UH-1 confirmed"}
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Idempotency-Key"] == "event-1:order-confirmation"


def test_a_gateway_error_is_reported_so_the_event_is_retried(fake_http):
    fake_http.responses = [502]

    with pytest.raises(SmsDeliveryFailed, match="answered 502"):
        HttpSmsProvider(url=fake_http.url, token="s3cret").send(to="+15550100", body="hi", idempotency_key="k")
