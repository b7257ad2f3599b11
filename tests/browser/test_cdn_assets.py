"""The storefront as `make run` serves it (gunicorn), seen by a real browser: its CSS and images
come from the S3 endpoint / CDN domain with long cache lifetimes, never from the app server."""

import os
import socket
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from devstack.processes import port_open, wait_until

pytestmark = pytest.mark.browser

CDN = f"http://{settings.AWS_S3_CUSTOM_DOMAIN}/"


@pytest.fixture(scope="module")
def site() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    config = str(settings.BASE_DIR / "urbanharvest" / "gunicorn.conf.py")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", config], env=env, cwd=settings.BASE_DIR)
    assert wait_until(lambda: port_open(port), timeout=20)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=15)


def test_the_pages_css_and_images_come_from_the_cdn_with_immutable_caching(site, page):
    assets = []
    page.on("response", lambda r: r.request.resource_type in ("stylesheet", "image") and assets.append(r))

    page.goto(site + "/")
    page.wait_for_load_state("networkidle")

    assert {r.request.resource_type for r in assets} == {"stylesheet", "image"}
    assert [r.url for r in assets if not r.url.startswith(CDN + "static/")] == []
    assert {(r.status, r.headers["cache-control"]) for r in assets} == {(200, "public, max-age=31536000, immutable")}
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(251, 248, 241)"


@pytest.mark.parametrize("path", ["/static/marketplace/site.css", "/static/admin/css/base.css"])
def test_the_app_server_serves_no_static_files(site, path):
    assert requests.get(site + path, timeout=5).status_code == 404
