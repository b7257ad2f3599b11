"""Catalog reads for the storefront. Each selector costs a fixed number of queries, whatever the
page size (related rows are joined or prefetched), and every filter it applies has an index
(marketplace/migrations/0002). The router sends these reads to the replica when that is safe."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import timezone

from marketplace.delivery import common_delivery_date, next_delivery_date
from marketplace.models import Category, Farmer, Product, ProductImage

PRODUCTS_PER_PAGE = 24
SEARCH_CONFIG = "english"


# The columns the storefront's pages show (and cart totals and delivery dates need), so that the
# database sends, and the ORM compiles and builds, nothing else. Touching any other field of a
# product these selectors return costs a query.
_FARM_COLUMNS = ("farmer__id", "farmer__slug", "farmer__farm_name", "farmer__town", "farmer__order_cutoff")
_FARM_COLUMNS += ("farmer__delivery_days",)
_CARD_COLUMNS = ("id", "farmer_id", "category_id", "name", "slug", "unit", "price", "stock", "updated_at")
_IMAGES = Prefetch(
    "images", queryset=ProductImage.objects.only("id", "product_id", "image", "alt_text").order_by("position", "id")
)


def _with_card_data(products: QuerySet[Product]) -> QuerySet[Product]:
    """What a product card shows: the product, its farm and its images, in two queries. The search
    vector and the description stay in the database: a page of cards shows neither."""
    return products.select_related("farmer").only(*_CARD_COLUMNS, *_FARM_COLUMNS).prefetch_related(_IMAGES)


def category_list() -> list[Category]:
    return list(Category.objects.all())


def product_search_page(
    *, category: Category | None = None, farmer: Farmer | None = None, query: str = "", page: int | str = 1
) -> Page:
    """One page of active products, optionally of one category or farm and matching a full-text
    query (web-search syntax, so any text a shopper types is a valid query), best matches first.
    Odd page numbers get the first or the last page rather than an error."""
    products = Product.objects.filter(is_active=True)
    if category is not None:
        products = products.filter(category=category)
    if farmer is not None:
        products = products.filter(farmer=farmer)
    if query:
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        products = products.filter(search_vector=search).annotate(rank=SearchRank(F("search_vector"), search))
        products = products.order_by("-rank", "name", "id")
    else:
        products = products.order_by("name", "id")
    return Paginator(_with_card_data(products), PRODUCTS_PER_PAGE).get_page(page)


def product_newest(*, limit: int = 8) -> list[Product]:
    return list(_with_card_data(Product.objects.filter(is_active=True).order_by("-created_at"))[:limit])


def product_get(*, farmer_slug: str, product_slug: str) -> Product:
    """An active product by its farm and its own slug (unique per farm), with its farm, its category
    and its images in order (`product.gallery`), in one query: a product page that misses every cache
    costs one round trip. `product_page_version` must find the same product and cover what it reads."""
    gallery = (
        ProductImage.objects.filter(product=OuterRef("pk"))
        .order_by("position", "id")
        .values(row=JSONObject(id="id", image="image", alt_text="alt_text"))
    )
    products = Product.objects.filter(is_active=True, farmer__slug=farmer_slug, slug=product_slug)
    columns = (*_CARD_COLUMNS, "description", *_FARM_COLUMNS, "category__id", "category__name", "category__slug")
    products = products.select_related("farmer", "category").only(*columns)
    product = products.annotate(gallery_rows=ArraySubquery(gallery)).first()
    if product is None:
        raise Http404("No such product.")
    product.gallery = [ProductImage(product_id=product.pk, **row) for row in product.gallery_rows]
    return product


# PostgreSQL gives every row version the id of the transaction that wrote it (xmin), on the replica as
# on the primary: any update or delete of a row, or a new row, shows as a different list of them.
_PRODUCT_PAGE_ROWS = f"""
    SELECT p.xmin::text, f.xmin::text, c.xmin::text,
           ARRAY(SELECT i.xmin::text FROM {ProductImage._meta.db_table} i WHERE i.product_id = p.id ORDER BY i.id),
           f.order_cutoff, f.delivery_days
    FROM {Product._meta.db_table} p
    JOIN {Farmer._meta.db_table} f ON f.id = p.farmer_id
    JOIN {Category._meta.db_table} c ON c.id = p.category_id
    WHERE f.slug = %s AND p.slug = %s AND p.is_active
"""  # noqa: S608 (table names only)


def product_page_version(
    *, using: str, farmer_slug: str, product_slug: str, now: dt.datetime | None = None
) -> tuple | None:
    """What a product page shows, as one cheap value (marketplace/pages.py revalidates kept pages with
    it): the row versions of the product, its farm, its category and its images, and the delivery
    date it shows at `now`. None when there is no such product on sale. It finds the product as
    `product_get` does and must cover every row that and the page's templates read."""
    with connections[using].cursor() as cursor:
        cursor.execute(_PRODUCT_PAGE_ROWS, (farmer_slug, product_slug))
        row = cursor.fetchone()
    if row is None:
        return None
    product, farm, category, images, cutoff, delivery_days = row
    delivery_date = delivery_date_for(farmer=Farmer(order_cutoff=cutoff, delivery_days=delivery_days), now=now)
    return product, farm, category, tuple(images), delivery_date


def product_for_cart(*, product_id: int) -> Product | None:
    """The active product a cart line names, or None when it is gone or off sale."""
    return Product.objects.select_related("farmer").filter(pk=product_id, is_active=True).first()


def farmer_list() -> list[Farmer]:
    """The farm directory: every farm with at least one product on sale, and how many."""
    return list(
        Farmer.objects.annotate(product_count=Count("products", filter=Q(products__is_active=True)))
        .filter(product_count__gt=0)
        .order_by("farm_name")
    )


def farmer_get(*, slug: str) -> Farmer:
    try:
        return Farmer.objects.get(slug=slug)
    except Farmer.DoesNotExist:
        raise Http404(f"No farm called {slug!r}.") from None


def delivery_date_for(*, farmer: Farmer, now: dt.datetime | None = None) -> dt.date | None:
    """The first day this farm can deliver an order placed now, or None if it delivers on no day."""
    try:
        return next_delivery_date(
            now=timezone.localtime(now), cutoff=farmer.order_cutoff, delivery_days=farmer.delivery_days
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class CartSummary:
    lines: list[CartLine]
    # Products still in the session that are gone or no longer on sale.
    unavailable: list[int]
    delivery_date: dt.date | None

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)


def cart_summary(*, items: dict[int, int], now: dt.datetime | None = None) -> CartSummary:
    """The cart's lines with their products and totals, in one query, and the first day every farm
    of the basket can deliver (None when they share no delivery weekday)."""
    products = {
        p.pk: p for p in _with_card_data(Product.objects.filter(pk__in=items, is_active=True)).order_by("name", "id")
    }
    lines = [CartLine(product=p, quantity=items[p.pk]) for p in products.values()]
    farms = {line.product.farmer_id: line.product.farmer for line in lines}
    try:
        delivery = common_delivery_date(
            now=timezone.localtime(now), farms=[(f.order_cutoff, f.delivery_days) for f in farms.values()]
        )
    except ValueError:
        delivery = None
    return CartSummary(lines=lines, unavailable=[pk for pk in items if pk not in products], delivery_date=delivery)
