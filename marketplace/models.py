"""The catalog: farmers, categories, products and their images. It lives on the primary and is read
from the replica by the storefront (routers/replica.py)."""

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.files.storage import Storage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, router, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from marketplace import images


class Weekday(models.IntegerChoices):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


def every_weekday() -> list[int]:
    return list(Weekday.values)


class Farmer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="farmer")
    farm_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    story = models.TextField(blank=True)
    town = models.CharField(max_length=80)
    photo = models.ImageField(upload_to="farmers/", blank=True, validators=[images.validate_image_upload])
    delivery_days = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices, validators=[MaxValueValidator(6)]),
        default=every_weekday,
        help_text="Weekdays this farm delivers on (0 = Monday).",
    )
    order_cutoff = models.TimeField(
        default=dt.time(20, 0), help_text="Orders placed before this local time make the next delivery day."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["farm_name"]

    def __str__(self) -> str:
        return self.farm_name

    def get_absolute_url(self) -> str:
        return reverse("marketplace:farmer_detail", kwargs={"slug": self.slug})


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Unit(models.TextChoices):
    POUND = "lb", "per lb"
    BUNCH = "bunch", "per bunch"
    DOZEN = "dozen", "per dozen"
    PINT = "pint", "per pint"
    EACH = "each", "each"


class Product(models.Model):
    farmer = models.ForeignKey(Farmer, on_delete=models.PROTECT, related_name="products")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.EACH)
    price = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0)])
    stock = models.PositiveIntegerField(default=0, help_text="Units available to order now.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Kept by PostgreSQL itself, so bulk loads and raw updates can never leave it stale.
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config="english")
        + SearchVector("description", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["name"]
        # One index per storefront filter; partial on is_active because shoppers never see the rest.
        indexes = [
            models.Index(fields=["name", "id"], condition=models.Q(is_active=True), name="product_active_by_name"),
            models.Index(
                fields=["category", "name", "id"], condition=models.Q(is_active=True), name="product_active_by_category"
            ),
            models.Index(
                fields=["farmer", "name", "id"], condition=models.Q(is_active=True), name="product_active_by_farmer"
            ),
            models.Index(fields=["-created_at"], condition=models.Q(is_active=True), name="product_active_newest"),
            GinIndex(fields=["search_vector"], name="product_search"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_not_negative"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
            models.UniqueConstraint(fields=["farmer", "slug"], name="product_slug_unique_per_farmer"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "marketplace:product_detail", kwargs={"farmer_slug": self.farmer.slug, "product_slug": self.slug}
        )

    @property
    def first_image(self) -> "ProductImage | None":
        """The card's picture, from the prefetched images when the selector fetched them."""
        images = list(self.images.all())
        return images[0] if images else None


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/", validators=[images.validate_image_upload])
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position", "id"], name="productimage_in_order")]

    def __str__(self) -> str:
        return self.alt_text or self.image.name

    def save(self, *args, **kwargs) -> None:
        """Store the photo, then its resized variants, once per newly uploaded photo (editing the alt
        text or position does not redo them). If the variants fail, the stored original goes too; a
        photo replaced by a new upload has its files deleted once the change commits."""
        # An uncommitted FieldFile is a new upload that the field's pre_save is about to store.
        upload = self.image.file if self.image and not self.image._committed else None
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            replaced = self._stored_name(using) if upload is not None else None
            super().save(*args, **kwargs)
            if upload is None:
                return
            if replaced:
                _photo_files_delete_on_commit(replaced, self.image.storage, using)
            try:
                images.photo_variants_create(name=self.image.name, storage=self.image.storage, source=upload)
            except Exception:
                self.image.storage.delete(self.image.name)
                raise

    def _stored_name(self, using: str) -> str | None:
        if self.pk is None:
            return None
        return type(self).objects.using(using).filter(pk=self.pk).values_list("image", flat=True).first()

    @property
    def thumbnail_url(self) -> str:
        """For product lists."""
        return images.variant_url(self.image, images.THUMBNAIL)

    @property
    def large_url(self) -> str:
        """For the product page."""
        return images.variant_url(self.image, images.LARGE)


@receiver(post_delete, sender=ProductImage, dispatch_uid="marketplace.photo_files_delete")
def _photo_files_delete_with_row(sender, instance: ProductImage, using: str, **kwargs) -> None:
    """However the row goes (the admin, a bulk delete, its product's delete), its files go once that
    commits; a rolled-back delete keeps them."""
    if instance.image.name:
        _photo_files_delete_on_commit(instance.image.name, instance.image.storage, using)


def _photo_files_delete_on_commit(name: str, storage: Storage, using: str) -> None:
    def delete_unless_shared() -> None:
        # The demo catalog's products of one kind share a picture; it stays while any row names it.
        if not ProductImage.objects.using(using).filter(image=name).exists():
            images.photo_files_delete(name=name, storage=storage)

    transaction.on_commit(delete_unless_shared, using=using)
