"""The demo catalog `manage.py seed_demo` loads: farms around Chicagoland, the produce they sell and
generated pictures of it, uploaded through the default storage.

Everything is derived from a fixed random seed, so a re-run finds what an earlier run made (farms by
slug, products by farm and slug) and adds only what is missing, including images the storage lost
(the local S3 keeps objects in memory only).
"""

import io
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageFont

from marketplace.images import VARIANTS, photo_variants_create, variant_name
from marketplace.models import Category, Farmer, Product, ProductImage
from marketplace.services import farmer_register

SEED = 20261204
DEFAULT_PRODUCTS = 300
BATCH_SIZE = 5000
UPLOAD_THREADS = 8
FARM_PHOTO_COLOR = (110, 150, 80)
PICTURE_FOLDERS = ("farmers", "products")

CATEGORIES = ["Vegetables", "Fruit", "Herbs & Greens", "Eggs & Dairy", "Meat & Poultry", "Bakery", "Pantry", "Flowers"]


@dataclass(frozen=True)
class Kind:
    category: str
    name: str
    unit: str  # a marketplace.models.Unit value
    price: tuple[str, str]
    color: tuple[int, int, int]
    blurb: str


# fmt: off
KINDS = [
    Kind("Vegetables", "Heirloom Tomatoes", "lb", ("3.50", "5.50"), (200, 50, 40), "Vine-ripened, picked yesterday."),
    Kind("Vegetables", "Cherry Tomatoes", "pint", ("4.00", "6.00"), (230, 70, 40), "Sweet, bite-sized and bursting."),
    Kind("Vegetables", "Sweet Corn", "dozen", ("6.00", "9.00"), (240, 200, 70), "Bicolor ears, picked that morning."),
    Kind("Vegetables", "Carrots", "bunch", ("2.50", "4.00"), (240, 130, 30), "Rainbow carrots with their tops on."),
    Kind("Vegetables", "Red Potatoes", "lb", ("1.50", "2.50"), (170, 60, 60), "Waxy, thin-skinned, great roasted."),
    Kind("Vegetables", "Zucchini", "lb", ("2.00", "3.00"), (70, 130, 60), "Tender summer squash."),
    Kind("Vegetables", "Butternut Squash", "each", ("2.50", "4.50"), (230, 160, 80), "Cured for sweetness."),
    Kind("Vegetables", "Green Beans", "lb", ("3.00", "4.50"), (90, 160, 70), "Snappy and stringless."),
    Kind("Vegetables", "Sweet Peppers", "lb", ("3.50", "5.00"), (220, 40, 40), "Red, yellow and orange bells."),
    Kind("Vegetables", "Cucumbers", "each", ("0.75", "1.50"), (60, 120, 60), "Crisp slicing cucumbers."),
    Kind("Vegetables", "Beets", "bunch", ("3.00", "4.00"), (130, 20, 60), "Red and golden, greens included."),
    Kind("Vegetables", "Yellow Onions", "lb", ("1.25", "2.00"), (210, 170, 90), "Storage onions, sweet when cooked."),
    Kind("Vegetables", "Garlic", "each", ("1.50", "2.50"), (235, 225, 205), "Hardneck bulbs, cured in the barn."),
    Kind("Vegetables", "Broccoli", "each", ("2.50", "3.50"), (50, 110, 50), "Tight green heads."),
    Kind("Fruit", "Honeycrisp Apples", "lb", ("2.50", "3.50"), (200, 40, 50), "Crisp and juicy, from the orchard."),
    Kind("Fruit", "Strawberries", "pint", ("5.00", "7.00"), (220, 30, 50), "June-bearing berries, never refrigerated."),
    Kind("Fruit", "Blueberries", "pint", ("5.50", "7.50"), (60, 70, 150), "Hand-picked highbush blueberries."),
    Kind("Fruit", "Peaches", "lb", ("3.50", "4.50"), (250, 160, 100), "Tree-ripened, freestone."),
    Kind("Fruit", "Pears", "lb", ("2.50", "3.50"), (190, 200, 80), "Bartlett and Bosc."),
    Kind("Fruit", "Raspberries", "pint", ("6.00", "8.00"), (200, 30, 80), "Fall raspberries, picked at dawn."),
    Kind("Fruit", "Watermelon", "each", ("6.00", "9.00"), (60, 140, 70), "Seedless, about 12 lb."),
    Kind("Fruit", "Tart Cherries", "pint", ("5.00", "7.00"), (160, 20, 30), "Montmorency cherries for pies."),
    Kind("Herbs & Greens", "Basil", "bunch", ("2.50", "3.50"), (50, 140, 60), "Genovese basil, cut to order."),
    Kind("Herbs & Greens", "Cilantro", "bunch", ("1.50", "2.50"), (70, 160, 70), "Bright and fresh."),
    Kind("Herbs & Greens", "Kale", "bunch", ("3.00", "4.00"), (40, 90, 50), "Lacinato and curly."),
    Kind("Herbs & Greens", "Salad Mix", "lb", ("8.00", "12.00"), (110, 170, 80), "Washed baby greens."),
    Kind("Herbs & Greens", "Spinach", "lb", ("6.00", "9.00"), (40, 110, 50), "Sweet, tender leaves."),
    Kind("Herbs & Greens", "Arugula", "bunch", ("3.00", "4.00"), (60, 120, 50), "Peppery rocket."),
    Kind("Herbs & Greens", "Microgreens", "pint", ("4.00", "6.00"), (130, 190, 90), "Radish and sunflower shoots."),
    Kind("Herbs & Greens", "Mint", "bunch", ("2.00", "3.00"), (80, 170, 110), "Spearmint for tea and cocktails."),
    Kind("Eggs & Dairy", "Pasture-Raised Eggs", "dozen", ("6.00", "8.00"), (230, 210, 170), "From hens on grass."),
    Kind("Eggs & Dairy", "Duck Eggs", "dozen", ("9.00", "12.00"), (220, 225, 215), "Rich yolks for baking."),
    Kind("Eggs & Dairy", "Whole Milk", "each", ("4.50", "6.00"), (245, 245, 240), "Half gallon, glass bottle."),
    Kind("Eggs & Dairy", "Farmhouse Cheddar", "lb", ("10.00", "14.00"), (240, 180, 60), "Aged six months."),
    Kind("Eggs & Dairy", "Fresh Chèvre", "each", ("6.00", "8.00"), (245, 240, 230), "Soft goat cheese, 8 oz."),
    Kind("Eggs & Dairy", "Greek Yogurt", "each", ("5.00", "7.00"), (240, 240, 235), "Strained whole-milk, 1 qt."),
    Kind("Meat & Poultry", "Whole Chicken", "lb", ("4.50", "6.00"), (230, 190, 150), "Pasture-raised, 4 to 5 lb."),
    Kind("Meat & Poultry", "Ground Beef", "lb", ("7.00", "9.00"), (170, 50, 50), "Grass-fed, 85% lean."),
    Kind("Meat & Poultry", "Pork Chops", "lb", ("8.00", "11.00"), (220, 140, 130), "Bone-in, heritage breed."),
    Kind("Meat & Poultry", "Breakfast Sausage", "lb", ("7.00", "9.00"), (190, 100, 80), "Sage and black pepper."),
    Kind("Meat & Poultry", "Ribeye Steak", "lb", ("18.00", "24.00"), (150, 40, 40), "Dry-aged 21 days."),
    Kind("Bakery", "Sourdough Loaf", "each", ("7.00", "9.00"), (190, 140, 80), "Naturally leavened, baked overnight."),
    Kind("Bakery", "Whole Wheat Bread", "each", ("6.00", "8.00"), (160, 110, 60), "Stone-ground local wheat."),
    Kind("Bakery", "Cinnamon Rolls", "each", ("3.00", "4.50"), (210, 160, 100), "Cream cheese icing."),
    Kind("Bakery", "Fruit Pie", "each", ("18.00", "24.00"), (200, 110, 70), "Seasonal fruit, butter crust."),
    Kind("Bakery", "Bagels", "dozen", ("12.00", "15.00"), (200, 160, 110), "Boiled and baked, everything spice."),
    Kind("Pantry", "Wildflower Honey", "each", ("9.00", "13.00"), (230, 160, 30), "Raw, unfiltered, 1 lb jar."),
    Kind("Pantry", "Strawberry Jam", "each", ("7.00", "9.00"), (190, 30, 50), "Small-batch, low sugar."),
    Kind("Pantry", "Maple Syrup", "each", ("12.00", "16.00"), (170, 90, 30), "Grade A amber, 12 oz."),
    Kind("Pantry", "Dill Pickles", "each", ("7.00", "9.00"), (120, 150, 60), "Garlic dills, fermented in crocks."),
    Kind("Pantry", "Popcorn Kernels", "lb", ("3.00", "4.50"), (240, 210, 120), "Heirloom red popcorn."),
    Kind("Pantry", "Stone-Ground Cornmeal", "lb", ("3.50", "5.00"), (230, 190, 80), "For cornbread and polenta."),
    Kind("Flowers", "Sunflowers", "bunch", ("8.00", "12.00"), (250, 200, 30), "Five stems, cut that morning."),
    Kind("Flowers", "Mixed Bouquet", "bunch", ("15.00", "25.00"), (220, 120, 170), "Whatever is blooming this week."),
    Kind("Flowers", "Dahlias", "bunch", ("12.00", "18.00"), (200, 60, 110), "Dinner-plate dahlias."),
    Kind("Flowers", "Lavender", "bunch", ("8.00", "10.00"), (150, 120, 200), "Dried English lavender."),
]
# fmt: on

TOWNS = [
    "Evanston", "Oak Park", "Naperville", "Joliet", "Elgin", "Aurora", "Schaumburg", "Skokie", "Waukegan",
    "Kenosha", "Valparaiso", "Woodstock", "McHenry", "Crystal Lake", "St. Charles", "Geneva", "Batavia",
    "Plainfield", "Lockport", "Orland Park", "Harvard", "Marengo", "Kankakee", "DeKalb", "Sycamore", "Hebron",
    "Grayslake", "Libertyville", "Barrington", "Lemont", "Frankfort", "Peotone", "Manhattan", "Yorkville",
    "Sugar Grove", "Hampshire",
]  # fmt: skip
SURNAMES = [
    "Miller", "Novak", "Kowalski", "Hernandez", "Olsen", "Schmidt", "Johnson", "Brennan", "Nguyen", "Okafor",
    "Lindqvist", "Petrovic", "Garcia", "Anderson", "Walsh", "Yoder", "Fischer", "Moreno", "Kim", "Larsen",
    "Dvorak", "Byrne", "Castillo", "Weber", "Hoffman", "Jankowski", "Ruiz", "Sorensen", "Baker", "Lopez",
    "Nakamura", "Meyer", "O'Neill", "Vasquez", "Bauer", "Koval",
]  # fmt: skip
FARM_SUFFIXES = ["Family Farm", "Acres", "Orchard", "Homestead", "Gardens", "Creek Farm", "Hollow", "Prairie Farm"]
STORIES = [
    "Three generations have worked this land. We grow without synthetic pesticides and rotate every field.",
    "We started with a quarter acre and a borrowed tiller; now we feed a few hundred families a week.",
    "Our animals live on pasture, and what they leave behind feeds next year's vegetables.",
    "We pick to order the afternoon before delivery, so what reaches you was in the ground yesterday.",
]


@dataclass(frozen=True)
class FarmSpec:
    slug: str
    farm_name: str
    town: str
    story: str
    delivery_days: list[int]
    cutoff_hour: int
    kinds: list[Kind]


def farm_specs() -> list[FarmSpec]:
    rng = random.Random(SEED)  # noqa: S311 (repeatable demo data, not secrets)
    farms = []
    for index, (surname, town) in enumerate(zip(SURNAMES, TOWNS, strict=True)):
        farm_name = f"{surname} {FARM_SUFFIXES[index % len(FARM_SUFFIXES)]}"
        focus = rng.sample(CATEGORIES, k=rng.choice([2, 3]))
        kinds = [kind for kind in KINDS if kind.category in focus]
        # Tuesdays, Thursdays and Saturdays for everyone, so any basket shares a delivery day.
        days = sorted({1, 3, 5, *rng.sample(range(7), k=rng.randint(0, 3))})
        farms.append(
            FarmSpec(
                slug=slugify(farm_name),
                farm_name=farm_name,
                town=town,
                story=rng.choice(STORIES),
                delivery_days=days,
                cutoff_hour=rng.choice([18, 20, 20, 20, 21]),
                kinds=rng.sample(kinds, k=min(len(kinds), rng.randint(7, 10))),
            )
        )
    return farms


def product_specs(farms: list[FarmSpec], count: int) -> Iterator[tuple[FarmSpec, Kind, str, str]]:
    """(farm, kind, name, slug) for `count` products: every farm's own list first, then numbered
    lots across the farms for benchmark-sized catalogs. The same count always yields the same
    products, and a larger count only adds to a smaller one's."""
    produced = 0
    for farm in farms:
        for kind in farm.kinds:
            if produced == count:
                return
            yield farm, kind, kind.name, slugify(kind.name)
            produced += 1
    lot = 0
    while produced < count:
        farm = farms[lot % len(farms)]
        kind = farm.kinds[(lot // len(farms)) % len(farm.kinds)]
        yield farm, kind, f"{kind.name}, lot {lot + 1}", f"{slugify(kind.name)}-lot-{lot + 1}"
        produced += 1
        lot += 1


def _price(rng: random.Random, low: str, high: str) -> Decimal:
    quarters = rng.randint(int(Decimal(low) * 4), int(Decimal(high) * 4))
    return Decimal(quarters) / 4


def picture(*, label: str, color: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    """A simple still life: the produce's colour as a round fruit with a leaf, and its name."""
    width, height = size
    background = tuple(min(255, 215 + c // 8) for c in color)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    cx, cy, r = width // 2, height // 2 - 20, min(width, height) // 3
    draw.ellipse((cx - r + 12, cy - r + 24, cx + r + 12, cy + r + 24), fill=tuple(c * 3 // 4 for c in background))
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=color)
    draw.ellipse((cx - r // 2, cy - r // 2, cx - r // 5, cy - r // 5), fill=tuple(min(255, c + 60) for c in color))
    draw.ellipse((cx + r // 8, cy - r - r // 3, cx + r // 2 + r // 8, cy - r + r // 10), fill=(60, 130, 50))
    font = ImageFont.load_default(size=34)
    draw.text((width // 2, height - 45), label, fill=(40, 50, 40), font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def _stored_pictures() -> set[str]:
    """The names of every picture already stored, from one listing per folder rather than a request
    per file."""
    return {f"{folder}/{name}" for folder in PICTURE_FOLDERS for name in default_storage.listdir(folder)[1]}


def _ensure_stored(name: str, *, label: str, color: tuple[int, int, int], stored: set[str]) -> bool:
    """Upload the picture under `name` unless the storage has it; True when it uploaded."""
    if name in stored:
        return False
    saved = default_storage.save(name, ContentFile(picture(label=label, color=color)))
    assert saved == name, f"storage renamed {name} to {saved}"
    return True


def _ensure_variants(name: str, stored: set[str]) -> int:
    """The storefront's resized copies of a shared product picture: the images are bulk-created,
    which skips the ProductImage.save that makes them for uploads. Returns how many it stored."""
    if all(variant_name(name, variant) in stored for variant in VARIANTS):
        return 0
    return len(photo_variants_create(name=name, storage=default_storage))


def _farm_photo_name(spec: FarmSpec) -> str:
    return f"farmers/demo-{spec.slug}.jpg"


def _kind_pictures_ensure(kind: Kind, stored: set[str]) -> int:
    name = _image_name(kind)
    return _ensure_stored(name, label=kind.name, color=kind.color, stored=stored) + _ensure_variants(name, stored)


def _pictures_ensure(farms: list[FarmSpec]) -> int:
    """Store every demo picture the storage lacks, several at a time: the local S3 keeps objects in
    memory, so after each restart of the stack they all go up again. Returns how many were stored."""
    stored = _stored_pictures()
    jobs = [
        partial(_ensure_stored, _farm_photo_name(spec), label=spec.farm_name, color=FARM_PHOTO_COLOR, stored=stored)
        for spec in farms
    ]
    jobs += [partial(_kind_pictures_ensure, kind, stored) for kind in KINDS]
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        return sum(pool.map(lambda job: job(), jobs))


@dataclass
class SeedReport:
    farms_created: int = 0
    products_created: int = 0
    images_linked: int = 0
    files_uploaded: int = 0


def demo_catalog_seed(*, products: int = DEFAULT_PRODUCTS, farmer_password: str | None = None) -> SeedReport:
    """Load (or complete) the demo catalog with `products` products; safe to run again and again."""
    report = SeedReport()
    farms = farm_specs()
    with transaction.atomic():
        categories = {
            name: Category.objects.get_or_create(slug=slugify(name), defaults={"name": name, "position": i})[0]
            for i, name in enumerate(CATEGORIES)
        }
        farmers = {farmer.slug: farmer for farmer in Farmer.objects.filter(slug__in=[f.slug for f in farms])}
        for spec in farms:
            if spec.slug not in farmers:
                farmers[spec.slug] = _farmer_create(spec, farmer_password)
                report.farms_created += 1
    report.files_uploaded = _pictures_ensure(farms)
    for spec in farms:
        Farmer.objects.filter(slug=spec.slug, photo="").update(photo=_farm_photo_name(spec))
    report.products_created = _products_create(farms, farmers, categories, products)
    report.images_linked = _images_link(farmers)
    if report.products_created:
        # The planner's statistics, so that the first pages of a freshly loaded catalog use its indexes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_product, marketplace_productimage")
    return report


def _farmer_create(spec: FarmSpec, password: str | None) -> Farmer:
    farmer = farmer_register(
        username=spec.slug,
        email=f"{spec.slug}@farms.urbanharvest.local",
        password=password,
        farm_name=spec.farm_name,
        town=spec.town,
        story=spec.story,
        slug=spec.slug,
    )
    farmer.delivery_days = spec.delivery_days
    farmer.order_cutoff = farmer.order_cutoff.replace(hour=spec.cutoff_hour)
    farmer.save(update_fields=["delivery_days", "order_cutoff"])
    return farmer


def _image_name(kind: Kind) -> str:
    return f"products/demo-{slugify(kind.name)}.jpg"


def _products_create(farms, farmers, categories, count: int) -> int:
    rng = random.Random(SEED + 1)  # noqa: S311
    existing = set(Product.objects.filter(farmer__in=farmers.values()).values_list("farmer__slug", "slug"))
    created, batch = 0, []
    for farm, kind, name, slug in product_specs(farms, count):
        # Draw the random values even for existing products, so each product's values stay put.
        price, stock = _price(rng, *kind.price), 0 if rng.random() < 0.05 else rng.randint(5, 80)
        if (farm.slug, slug) in existing:
            continue
        batch.append(
            Product(
                farmer=farmers[farm.slug],
                category=categories[kind.category],
                name=name,
                slug=slug,
                description=f"{kind.blurb} Grown by {farm.farm_name} in {farm.town}.",
                unit=kind.unit,
                price=price,
                stock=stock,
            )
        )
        if len(batch) == BATCH_SIZE:
            created += len(Product.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(Product.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def _images_link(farmers) -> int:
    """One picture for every demo product that has none (the file is shared by its kind)."""
    kind_by_name = {kind.name: kind for kind in KINDS}
    missing = Product.objects.filter(farmer__in=farmers.values(), images__isnull=True).values_list("id", "name")
    images = []
    for product_id, name in missing.iterator(chunk_size=BATCH_SIZE):
        kind = kind_by_name[name.split(", lot ")[0]]
        images.append(ProductImage(product_id=product_id, image=_image_name(kind), alt_text=kind.name))
    ProductImage.objects.bulk_create(images, batch_size=BATCH_SIZE)
    return len(images)
