"""The storefront as `make run` serves it (gunicorn), seen by a real browser: its CSS and images
come from the S3 endpoint / CDN domain with long cache lifetimes, never from the app server."""

import os
import socket
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from cdn.storage import IMMUTABLE, MEDIA
from devstack.processes import port_open, wait_until
from tests.marketplace.factories import ProductFactory, ProductImageFactory

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


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_storefront_pages_css_and_images_come_from_the_cdn_with_their_cache_headers(site, page, replica_caught_up):
    ProductImageFactory(product=ProductFactory(name="Honeycrisp Apples"))
    replica_caught_up()
    assets = []
    page.on("response", lambda r: r.request.resource_type in ("stylesheet", "image") and assets.append(r))

    page.goto(site + "/products/")
    page.wait_for_load_state("networkidle")

    css = [r for r in assets if r.request.resource_type == "stylesheet"]
    photos = [r for r in assets if r.request.resource_type == "image"]
    assert [r.url for r in assets if not r.url.startswith(CDN)] == []
    assert {(r.status, r.headers["cache-control"]) for r in css} == {(200, IMMUTABLE)}
    assert {(r.status, r.headers["cache-control"]) for r in photos} == {(200, MEDIA)}
    assert [r.url for r in photos if not r.url.endswith(".thumb.webp")] == []
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(251, 252, 249)"


@pytest.mark.parametrize("path", ["/static/marketplace/site.css", "/static/admin/css/base.css"])
def test_the_app_server_serves_no_static_files(site, path):
    assert requests.get(site + path, timeout=5).status_code == 404
