"""The web process as `make run` starts it: gunicorn with the project's config."""

import os
import socket
import subprocess
import sys

import requests
from django.conf import settings

from devstack.processes import port_open, wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
