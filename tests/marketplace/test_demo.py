"""`manage.py seed_demo`: a believable catalog, loaded once however often it runs, whose pictures
come back when the storage lost them."""

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from marketplace.images import photo_variants_exist
from marketplace.models import Farmer, Product, ProductImage

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_loads_farms_around_one_metro_with_pictures_on_storage():
    call_command("seed_demo", products=120, stdout=None)

    assert 30 <= Farmer.objects.count() <= 40
    assert Product.objects.count() == 120
    image = ProductImage.objects.select_related("product").first()
    assert default_storage.exists(image.image.name)
    assert photo_variants_exist(name=image.image.name, storage=default_storage)
    assert image.image.url.startswith("http")
    assert Product.objects.filter(images__isnull=True).count() == 0


def test_seed_demo_twice_changes_nothing_and_reuploads_lost_pictures():
    call_command("seed_demo", products=60)
    lost = ProductImage.objects.first().image.name
    default_storage.delete(lost)
    before = (Farmer.objects.count(), Product.objects.count(), ProductImage.objects.count())

    call_command("seed_demo", products=60)

    assert (Farmer.objects.count(), Product.objects.count(), ProductImage.objects.count()) == before
    assert default_storage.exists(lost)


def test_a_larger_catalog_extends_the_smaller_one():
    call_command("seed_demo", products=40)
    first = set(Product.objects.values_list("id", flat=True))

    call_command("seed_demo", products=1500)

    assert Product.objects.count() == 1500
    assert first <= set(Product.objects.values_list("id", flat=True))
