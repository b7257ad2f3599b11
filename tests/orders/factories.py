"""Catalog and customer data for order tests, made the way the app makes it."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from marketplace.models import Category, Farmer, Product, every_weekday
from orders.models import Customer
from orders.services import BasketLine, DeliveryDetails, PlacedOrder, order_place
from routers.sharding import shard_for_customer

_serial = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.LazyFunction(lambda: f"user{next(_serial)}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct horse battery")


class FarmerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Farmer

    user = factory.SubFactory(UserFactory, is_staff=True)
    farm_name = factory.LazyFunction(lambda: f"Farm {next(_serial)}")
    slug = factory.LazyFunction(lambda: f"farm-{next(_serial)}")
    town = "Springfield"
    delivery_days = factory.LazyFunction(every_weekday)
    order_cutoff = dt.time(23, 59)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.LazyFunction(lambda: f"Category {next(_serial)}")
    slug = factory.LazyFunction(lambda: f"category-{next(_serial)}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    farmer = factory.SubFactory(FarmerFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.LazyFunction(lambda: f"Heirloom tomatoes {next(_serial)}")
    slug = factory.LazyFunction(lambda: f"product-{next(_serial)}")
    unit = "lb"
    price = Decimal("3.50")
    stock = 100


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.LazyFunction(lambda: f"shopper{next(_serial)}@example.com")
    phone = "555 0100 200"


def basket_line(product: Product, quantity: int = 1) -> BasketLine:
    return BasketLine(product_id=product.id, quantity=quantity, unit_price=product.price)


def delivery_details(email: str = "shopper@example.com") -> DeliveryDetails:
    return DeliveryDetails(email=email, phone="555 0100 200", address="1 Orchard Lane")


def customer_on(alias: str) -> Customer:
    """A customer whose orders hash onto shard `alias`."""
    while True:
        customer = CustomerFactory()
        if shard_for_customer(customer.id) == alias:
            return customer


def placed_order(*, customer: Customer | None = None, product: Product | None = None, quantity: int = 1) -> PlacedOrder:
    """An order placed through the real checkout service."""
    customer = customer or CustomerFactory()
    product = product or ProductFactory()
    return order_place(
        customer=customer,
        lines=[basket_line(product, quantity)],
        delivery=delivery_details(customer.email),
        idempotency_key=uuid.uuid4(),
    )
