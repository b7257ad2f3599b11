"""/healthz, /readyz and the staff-only ops page, against the real servers of the test stack."""

import re
import time

import pytest


def timed_get(client, path: str):
    started = time.monotonic()
    response = client.get(path)
    return response, (time.monotonic() - started) * 1000


def test_healthz_says_the_process_is_alive(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_every_server_ready(client, settings):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok", body
    assert set(body["checks"]) == {"primary", "replica", "broker", "s3", *settings.DATABASES.keys()} - {"default"}
    assert body["checks"]["replica"]["lag_seconds"] < 5


def test_readyz_reports_a_stopped_replica_as_degraded_with_the_reason_within_100_ms(client, stopped_replica):
    response, elapsed_ms = timed_get(client, "/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["replica"]["status"] == "degraded"
    assert "Connection refused" in body["checks"]["replica"]["reason"]
    assert body["checks"]["primary"]["status"] == "ok"
    assert elapsed_ms < 100


def test_readyz_reports_a_stopped_broker_as_degraded_with_the_reason_within_100_ms(client, stopped_broker):
    response, elapsed_ms = timed_get(client, "/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "degraded"
    assert "Connection refused" in body["checks"]["broker"]["reason"]
    assert elapsed_ms < 100


def test_readyz_reports_a_replica_lagging_past_the_routers_bound_as_degraded(client, settings):
    settings.REPLICA_MAX_LAG_SECONDS = -1

    replica = client.get("/readyz").json()["checks"]["replica"]

    assert replica["status"] == "degraded"
    assert "behind the primary" in replica["reason"]


def test_health_probes_leave_no_traces(client, spans):
    client.get("/healthz")
    client.get("/readyz")

    assert spans.get_finished_spans() == ()


@pytest.mark.django_db
def test_the_ops_page_sends_a_shopper_to_the_staff_login(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("shopper", password="pw-123456789"))

    response = client.get("/ops/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db(databases="__all__")
def test_the_ops_page_shows_each_server_outbox_and_order_count_to_staff(admin_client):
    response = admin_client.get("/ops/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Servers: ok" in page
    for alias in ("default", "shard_0", "shard_1"):
        assert f"<li>{alias}: " in page
    assert re.search(r"<li>shard_1: \d+ orders</li>", page)
    assert "<svg" in page


@pytest.mark.django_db(databases="__all__")
def test_the_ops_page_says_why_consumer_lag_is_unknown_while_the_broker_is_down(admin_client, stopped_broker):
    response = admin_client.get("/ops/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Servers: degraded" in page
    assert "Cannot read consumer groups" in page
