"""Catalog reads: search order, the farm directory, and the cart's totals and delivery day."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace import selectors
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
