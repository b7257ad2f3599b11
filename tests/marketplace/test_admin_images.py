"""A farmer's photo upload through the admin's product form: stored with its variants and shown on
the product page, or refused with the reason and nothing stored."""

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace import images
from marketplace.models import Product, ProductImage
from tests.cdn.bucket import media_keys
from tests.marketplace.admin_forms import product_form_data
from tests.marketplace.factories import PASSWORD, CategoryFactory, farmer_make
from tests.marketplace.photos import oversized_upload, photo_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def farmer_client(client):
    farmer = farmer_make("Miller Family Farm")
    client.login(username=farmer.user.username, password=PASSWORD)
    return client


def product_with_photo(photo, *, category: int) -> dict:
    inline = {"images-TOTAL_FORMS": "1", "images-0-alt_text": "Golden beets", "images-0-position": "0"}
    return {**product_form_data(category=category), **inline, "images-0-image": photo}


def test_an_uploaded_photo_is_in_the_bucket_with_its_variants_and_on_the_product_page(farmer_client):
    category = CategoryFactory(name="Vegetables", slug="vegetables").pk

    response = farmer_client.post(
        "/admin/marketplace/product/add/", product_with_photo(photo_upload(), category=category)
    )

    assert response.status_code == 302
    image = ProductImage.objects.get(product__slug="rainbow-carrots")
    stem = image.image.name.rsplit(".", 1)[0]
    assert media_keys(stem) == {image.image.name, f"{stem}.thumb.webp", f"{stem}.large.webp"}
    page = farmer_client.get(image.product.get_absolute_url())
    assert f'src="{image.large_url}"' in page.text
    assert requests.get(image.large_url, timeout=5).headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize(
    ("photo", "error"),
    [
        (SimpleUploadedFile("beets.jpg", b"GIF89a but not really", content_type="image/jpeg"), "not an image"),
        (oversized_upload(images.MAX_BYTES), "the largest photo accepted is 8.0 MB"),
    ],
    ids=["not-an-image", "too-large"],
)
def test_a_rejected_photo_shows_why_and_stores_nothing(farmer_client, photo, error):
    category = CategoryFactory(name="Vegetables", slug="vegetables").pk
    before = media_keys("products/")

    response = farmer_client.post("/admin/marketplace/product/add/", product_with_photo(photo, category=category))

    assert response.status_code == 200
    assert error in response.text
    assert not Product.objects.filter(slug="rainbow-carrots").exists()
    assert media_keys("products/") == before
