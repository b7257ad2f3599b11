"""Catalog and customer data for order tests, made the way the app makes it."""

import datetime as dt
import itertools
import uuid

import factory

from marketplace.models import Product, every_weekday
from orders.models import Customer
from orders.services import BasketLine, DeliveryDetails, PlacedOrder, order_place
from routers.sharding import shard_for_customer
from tests.marketplace import factories as catalog

_serial = itertools.count(1)


class UserFactory(catalog.UserFactory):
    """A shopper's login: the email is the username."""

    username = factory.LazyFunction(lambda: f"user{next(_serial)}@example.com")
    email = factory.SelfAttribute("username")
    password = factory.django.Password("correct horse battery")

    class Meta:
        skip_postgeneration_save = True


class FarmerFactory(catalog.FarmerFactory):
    """A farmer with an admin login who delivers every weekday and takes orders until 23:59, so
    checkout tests never meet a cutoff."""

    user = factory.SubFactory(UserFactory, is_staff=True)
    delivery_days = factory.LazyFunction(every_weekday)
    order_cutoff = dt.time(23, 59)


class ProductFactory(catalog.ProductFactory):
    """Enough stock that only a test about running out runs out."""

    farmer = factory.SubFactory(FarmerFactory)
    name = factory.LazyFunction(lambda: f"Heirloom tomatoes {next(_serial)}")
    unit = "lb"
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
