import io

import pytest
import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from PIL import Image

from marketplace import images
from marketplace.models import Product, ProductImage
from tests.cdn.bucket import bucket_keys
from tests.marketplace.factories import ProductFactory
from tests.marketplace.photos import oversized_upload, photo_upload, truncated_upload

pytestmark = pytest.mark.django_db(databases=["default"])

ImageForm = modelform_factory(ProductImage, fields=["product", "image", "alt_text"])


@pytest.fixture
def product() -> Product:
    return ProductFactory(name="Kale")


def fetched_image(url: str) -> Image.Image:
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    return Image.open(io.BytesIO(response.content))


def test_saving_a_photo_stores_its_variants_beside_it(product):
    image = ProductImage.objects.create(product=product, image=photo_upload("kale.jpg", size=(2400, 1800)))

    root = "media/" + image.image.name.rsplit(".", 1)[0]
    assert bucket_keys(root) == {f"media/{image.image.name}", f"{root}.thumb.webp", f"{root}.large.webp"}
    assert fetched_image(image.thumbnail_url).size == (400, 300)
    assert fetched_image(image.large_url).size == (1200, 900)


def test_variant_urls_are_public_and_unsigned_on_the_cdn_domain(product):
    image = ProductImage.objects.create(product=product, image=photo_upload())

    assert image.thumbnail_url.startswith(f"http://{settings.AWS_S3_CUSTOM_DOMAIN}/media/products/")
    assert "?" not in image.thumbnail_url
    assert (
        requests.get(image.thumbnail_url, timeout=5).headers["Cache-Control"]
        == "public, max-age=86400, s-maxage=2592000"
    )


def test_editing_the_alt_text_keeps_the_variants_made_at_upload(product):
    image = ProductImage.objects.create(product=product, image=photo_upload())
    before = requests.get(image.large_url, timeout=5).headers["Last-Modified"]

    image.alt_text = "A bunch of curly kale"
    image.save()

    assert requests.get(image.large_url, timeout=5).headers["Last-Modified"] == before
    assert len(bucket_keys("media/" + image.image.name.rsplit(".", 1)[0])) == 3


def test_a_phone_photo_shot_sideways_is_shown_upright(product):
    sideways = Image.new("RGB", (1600, 1200), (200, 80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    sideways.save(buffer, format="JPEG", exif=exif)

    image = ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("tomato.jpg", buffer.getvalue(), content_type="image/jpeg")
    )

    assert fetched_image(image.large_url).size == (900, 1200)


def test_a_transparent_png_keeps_its_transparency_in_the_variants(product):
    image = ProductImage.objects.create(product=product, image=photo_upload("logo.png", image_format="PNG"))
    png = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    buffer = io.BytesIO()
    png.save(buffer, format="PNG")
    image.image = SimpleUploadedFile("clear.png", buffer.getvalue(), content_type="image/png")

    image.save()

    assert fetched_image(image.thumbnail_url).mode == "RGBA"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.jpg", b"not a photo at all", content_type="image/jpeg"), "not an image"),
        (oversized_upload(images.MAX_BYTES), "the largest photo accepted is 8.0 MB"),
        (photo_upload("tiny.jpg", size=(120, 90)), "needs at least 200 pixels on each side"),
        (photo_upload("huge.png", size=(9000, 300), image_format="PNG"), "largest accepted is 8000 pixels"),
        (photo_upload("anim.gif", image_format="GIF"), "GIF images are not accepted"),
        (truncated_upload(), "damaged or incomplete"),
    ],
    ids=["not-an-image", "too-many-bytes", "too-small", "too-wide", "gif", "truncated"],
)
def test_a_rejected_upload_says_why_and_stores_nothing(product, upload, message):
    before = bucket_keys("media/products/")
    form = ImageForm(data={"product": product.pk, "alt_text": ""}, files={"image": upload})

    assert not form.is_valid()
    assert message in " ".join(form.errors["image"])
    assert bucket_keys("media/products/") == before
    assert not ProductImage.objects.exists()


@pytest.mark.parametrize("deleted", ["image", "product"])
def test_deleting_an_image_or_its_product_deletes_the_photo_and_variants(
    product, deleted, django_capture_on_commit_callbacks
):
    image = ProductImage.objects.create(product=product, image=photo_upload())
    root = "media/" + image.image.name.rsplit(".", 1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        {"image": image, "product": product}[deleted].delete()

    assert bucket_keys(root) == set()


def test_a_replaced_photo_is_deleted_from_storage_and_the_new_one_kept(product, django_capture_on_commit_callbacks):
    image = ProductImage.objects.create(product=product, image=photo_upload("old.jpg"))
    old_root = "media/" + image.image.name.rsplit(".", 1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        image.image = photo_upload("new.jpg")
        image.save()

    assert bucket_keys(old_root) == set()
    assert len(bucket_keys("media/" + image.image.name.rsplit(".", 1)[0])) == 3


def test_a_photo_another_image_still_shows_is_kept(product, django_capture_on_commit_callbacks):
    image = ProductImage.objects.create(product=product, image=photo_upload())
    ProductImage.objects.create(product=ProductFactory(), image=image.image.name)
    root = "media/" + image.image.name.rsplit(".", 1)[0]

    with django_capture_on_commit_callbacks(execute=True):
        image.delete()

    assert len(bucket_keys(root)) == 3
