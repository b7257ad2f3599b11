import boto3
import pytest
import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from cdn.storage import MediaStorage, StaticStorage, is_hashed_name, static_cache_control

ENDPOINT_BUCKET = f"{settings.AWS_S3_ENDPOINT_URL}/{settings.AWS_STORAGE_BUCKET_NAME}"


def head(key: str) -> dict:
    client = boto3.client("s3", endpoint_url=settings.AWS_S3_ENDPOINT_URL)
    return client.head_object(Bucket=settings.AWS_STORAGE_BUCKET_NAME, Key=key)


def test_public_urls_use_the_cdn_domain_when_one_is_configured():
    assert (
        storages["staticfiles"]
        .url("marketplace/site.css")
        .startswith(f"http://{settings.AWS_S3_CUSTOM_DOMAIN}/static/marketplace/site.")
    )
    assert (
        storages["default"].url("products/kale.jpg")
        == f"http://{settings.AWS_S3_CUSTOM_DOMAIN}/media/products/kale.jpg"
    )


def test_public_urls_use_the_s3_endpoint_without_a_cdn_domain():
    media = MediaStorage(custom_domain=None)
    static = StaticStorage(custom_domain=None)

    assert media.url("products/kale.jpg") == f"{ENDPOINT_BUCKET}/media/products/kale.jpg"
    assert static.url("marketplace/site.css").startswith(f"{ENDPOINT_BUCKET}/static/marketplace/site.")
    assert requests.get(static.url("marketplace/site.css"), timeout=5).status_code == 200


def test_a_private_file_is_only_reachable_through_its_signed_expiring_url():
    private = storages["private"]
    name = private.save("manifests/route-42.csv", ContentFile(b"order,box\n1,A\n"))
    url = private.url(name)

    assert url.startswith(f"{ENDPOINT_BUCKET}/private/manifests/route-42")
    assert f"X-Amz-Expires={settings.PRIVATE_URL_EXPIRE_SECONDS}" in url
    assert "X-Amz-Signature=" in url
    assert requests.get(url, timeout=5).content == b"order,box\n1,A\n"
    assert requests.get(url.split("?")[0], timeout=5).status_code == 403
    assert head(f"private/{name}")["CacheControl"] == "private, no-store"


def test_an_uploaded_image_is_public_with_a_cache_lifetime():
    name = storages["default"].save("products/plain.txt", ContentFile(b"x"))

    response = requests.get(storages["default"].url(name), timeout=5)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=86400, s-maxage=2592000"


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("marketplace/site.9cc83bdc3512.css", True),
        ("admin/js/vendor/jquery/jquery.min.js", False),
        ("marketplace/site.css", False),
        ("staticfiles.json", False),
        ("fonts/icons.0123456789ab", True),
    ],
)
def test_only_hashed_static_names_are_cached_as_immutable(name, hashed):
    assert is_hashed_name(name) is hashed
    assert (static_cache_control(name) == "public, max-age=31536000, immutable") is hashed
