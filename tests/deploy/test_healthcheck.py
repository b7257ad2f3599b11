"""deploy/healthcheck.py, as docker-compose.yml runs it inside the app's containers, here against
the test stack's real servers and a local HTTP server."""

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"


def healthcheck(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_worker_is_healthy_while_it_reaches_every_server_its_settings_name():
    result = healthcheck("reach", "DATABASE_URL", "SHARD_DATABASE_URLS", "KAFKA_BOOTSTRAP_SERVERS")

    assert result.returncode == 0, result.stderr


def test_a_worker_is_unhealthy_when_a_server_is_unreachable_and_says_which():
    port = closed_port()

    result = healthcheck(
        "reach", "DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"
    )

    assert result.returncode == 1
    assert f"KAFKA_BOOTSTRAP_SERVERS: 127.0.0.1:{port} unreachable" in result.stderr


def test_a_worker_is_unhealthy_when_a_setting_it_needs_is_missing():
    result = healthcheck("reach", "AWS_S3_ENDPOINT_URL", AWS_S3_ENDPOINT_URL="")

    assert result.returncode == 1
    assert "AWS_S3_ENDPOINT_URL is not set" in result.stderr


def test_the_web_process_is_healthy_only_while_its_url_answers_2xx(web):
    healthy = healthcheck("http", f"{web}/healthz")
    failing = healthcheck("http", f"{web}/broken")

    assert healthy.returncode == 0, healthy.stderr
    assert failing.returncode == 1
    assert "503" in failing.stderr
