"""Catalog reads: search order, the farm directory, a product page's version, and the cart's totals
and delivery day."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace import selectors
from marketplace.models import Product
from tests.marketplace.factories import FarmerFactory, ProductFactory

pytestmark = pytest.mark.django_db

FRIDAY_MORNING = timezone.make_aware(dt.datetime(2026, 12, 4, 9, 0))


def test_a_match_in_the_name_ranks_above_one_in_the_description():
    ProductFactory(name="Salad Mix", description="Goes well with tomatoes.")
    ProductFactory(name="Cherry Tomatoes", description="Sweet.")

    page = selectors.product_search_page(query="tomatoes")

    assert [p.name for p in page.object_list] == ["Cherry Tomatoes", "Salad Mix"]


def test_the_farm_page_lists_its_own_products_a_page_at_a_time():
    farm = FarmerFactory()
    ProductFactory.create_batch(30, farmer=farm)
    ProductFactory()

    page = selectors.product_search_page(farmer=farm, page=2)

    assert page.paginator.count == 30
    assert len(page.object_list) == 30 - selectors.PRODUCTS_PER_PAGE


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_product_pages_version_is_the_same_on_the_replica_and_changes_with_what_the_page_shows(
    replica_caught_up,
):
    product = ProductFactory(farmer=FarmerFactory(order_cutoff=dt.time(20, 0), delivery_days=list(range(7))))
    replica_caught_up()
    slugs = {"farmer_slug": product.farmer.slug, "product_slug": product.slug}

    def version(using="default", now=FRIDAY_MORNING):
        return selectors.product_page_version(using=using, now=now, **slugs)

    before = version()
    assert version(using="replica") == before
    assert version(now=FRIDAY_MORNING.replace(hour=21)) != before  # past the cutoff: a later delivery
    product.save()
    assert version() != before
    Product.objects.filter(pk=product.pk).update(is_active=False)
    assert version() is None


def _tables_read(run) -> set[str]:
    with CaptureQueriesContext(connections["default"]) as queries:
        run()
    return {table for query in queries for table in re.findall(r'"?(marketplace_\w+)"?', query["sql"])}


def test_a_product_pages_version_covers_every_table_the_product_page_reads():
    slugs = {"farmer_slug": (product := ProductFactory()).farmer.slug, "product_slug": product.slug}

    page_reads = _tables_read(lambda: selectors.product_get(**slugs))
    version_reads = _tables_read(lambda: selectors.product_page_version(using="default", **slugs))

    assert {"marketplace_product", "marketplace_farmer", "marketplace_category"} < page_reads
    assert page_reads <= version_reads


def test_the_directory_skips_farms_with_nothing_on_sale():
    selling = ProductFactory().farmer
    FarmerFactory(farm_name="Fallow Fields")
    ProductFactory(is_active=False)

    farms = selectors.farmer_list()

    assert [(f.farm_name, f.product_count) for f in farms] == [(selling.farm_name, 1)]


def test_the_cart_totals_its_lines_and_finds_the_day_every_farm_delivers():
    tuesday_farm = FarmerFactory(delivery_days=[1, 3])
    thursday_farm = FarmerFactory(delivery_days=[3, 5])
    eggs = ProductFactory(farmer=tuesday_farm, price=Decimal("6.00"))
    honey = ProductFactory(farmer=thursday_farm, price=Decimal("9.50"))

    cart = selectors.cart_summary(items={eggs.pk: 2, honey.pk: 1, 999999: 1}, now=FRIDAY_MORNING)

    assert cart.total == Decimal("21.50")
    assert cart.item_count == 3
    assert cart.unavailable == [999999]
    assert cart.delivery_date == dt.date(2026, 12, 10)  # the next Thursday


def test_farms_sharing_no_delivery_day_give_the_cart_no_date():
    monday = ProductFactory(farmer=FarmerFactory(delivery_days=[0]))
    friday = ProductFactory(farmer=FarmerFactory(delivery_days=[4]))

    cart = selectors.cart_summary(items={monday.pk: 1, friday.pk: 1}, now=FRIDAY_MORNING)

    assert cart.delivery_date is None
