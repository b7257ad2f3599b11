import pytest
from django.db import transaction

from marketplace.stock import InsufficientStock, stock_release, stock_take
from tests.orders.factories import ProductFactory


@pytest.mark.django_db(databases=["default"])
def test_taking_stock_takes_every_product_or_none():
    plenty, scarce = ProductFactory(stock=10), ProductFactory(stock=2)

    with pytest.raises(InsufficientStock), transaction.atomic():
        stock_take(quantities={plenty.id: 5, scarce.id: 3})

    plenty.refresh_from_db()
    scarce.refresh_from_db()
    assert (plenty.stock, scarce.stock) == (10, 2)


@pytest.mark.django_db(databases=["default"])
def test_stock_can_be_taken_down_to_zero_and_given_back():
    product = ProductFactory(stock=3)

    stock_take(quantities={product.id: 3})
    product.refresh_from_db()
    assert product.stock == 0

    stock_release(quantities={product.id: 3})
    product.refresh_from_db()
    assert product.stock == 3


@pytest.mark.django_db(databases=["default"])
def test_zero_or_negative_quantities_are_refused():
    product = ProductFactory(stock=3)

    with pytest.raises(ValueError, match="positive quantities"):
        stock_take(quantities={product.id: -2})

    product.refresh_from_db()
    assert product.stock == 3
