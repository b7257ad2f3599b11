"""Catalog test data, made through the real models and services."""

import io
import uuid
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import Category, Farmer, Product, ProductImage
from marketplace.services import farmer_register

PASSWORD = "correct-horse-battery"


def jpeg(color: str = "tomato", size: tuple[int, int] = (640, 480)) -> ContentFile:
    """A photo big enough to pass upload validation (marketplace/images.py)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG")
    return ContentFile(out.getvalue(), name="picture.jpg")


def farmer_make(name: str = "Miller Family Farm", town: str = "Evanston") -> Farmer:
    """A farmer with an admin login (username = the farm's slug, password PASSWORD)."""
    from django.utils.text import slugify

    return farmer_register(
        username=slugify(name), email=f"{slugify(name)}@example.com", password=PASSWORD, farm_name=name, town=town
    )


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class FarmerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Farmer

    # The new-order mail goes to this address; unique across runs, as the SMTP sink's mailbox outlives them.
    user = factory.SubFactory(
        "tests.marketplace.factories.UserFactory",
        email=factory.LazyFunction(lambda: f"farmer-{uuid.uuid4().hex[:10]}@example.com"),
    )
    farm_name = factory.Sequence(lambda n: f"Farm {n}")
    slug = factory.Sequence(lambda n: f"farm-{n}")
    town = "Oak Park"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"

    username = factory.Sequence(lambda n: f"user{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    farmer = factory.SubFactory(FarmerFactory)
    category = factory.SubFactory(CategoryFactory, name="Vegetables", slug="vegetables")
    name = factory.Sequence(lambda n: f"Carrots {n}")
    slug = factory.Sequence(lambda n: f"carrots-{n}")
    description = "Rainbow carrots with their tops on."
    unit = "bunch"
    price = Decimal("3.50")
    stock = 20


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.LazyFunction(jpeg)
    alt_text = "A picture"
