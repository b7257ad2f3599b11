"""The web process as `make run` starts it: gunicorn with the project's config."""

import os
import subprocess
import sys

import requests
from django.conf import settings

import urbanharvest
from bench.tracing import SpanSink
from devstack.processes import free_port, port_open, wait_until


def test_gunicorn_serves_the_home_page():
    port = free_port()
    env = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    config = str(settings.BASE_DIR / "urbanharvest" / "gunicorn.conf.py")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config], env=env, cwd=settings.BASE_DIR)
    try:
        assert wait_until(lambda: port_open(port), timeout=20)
        response = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        server.terminate()
        server.wait(timeout=15)

    assert response.status_code == 200
    assert "UrbanHarvest" in response.text


def test_gunicorn_workers_export_their_spans_to_the_otlp_endpoint():
    receiver = SpanSink(keep=True)
    port = free_port()
    env = {
        **os.environ,
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    config = str(settings.BASE_DIR / "urbanharvest" / "gunicorn.conf.py")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config], env=env, cwd=settings.BASE_DIR)
    try:
        assert wait_until(lambda: port_open(port), timeout=20)
        for _ in range(4):
            requests.get(f"http://127.0.0.1:{port}/admin/login/", timeout=5)
        assert wait_until(lambda: receiver.spans >= 4, timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=15)
        receiver.close()

    resource, span = receiver.kept[0]
    assert span.name == "GET admin/login/"
    assert resource["service.name"] == "urbanharvest-web"
    assert resource["service.version"] == urbanharvest.__version__
