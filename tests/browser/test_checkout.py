"""A shopper in a real Chromium: browse, cart, checkout, confirmation, order history."""

from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore

from marketplace.cart import cart_set
from marketplace.models import Product
from tests.orders.factories import ProductFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True),
]


def add_to_cart(page, product: Product, quantity: int) -> None:
    """The storefront's add-to-cart (the catalog's pages) puts lines in the session like this."""
    [cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    session = SessionStore(session_key=cookie["value"])
    cart_set(session, product_id=product.id, quantity=quantity)
    session.save()


def test_a_shopper_registers_checks_out_and_finds_the_order_in_their_history(live_server, page):
    product = ProductFactory(name="Honeycrisp apples", price=Decimal("2.75"), stock=20)
    page.goto(live_server.url + "/accounts/register/")
    page.fill("input[name=name]", "Pat Shopper")
    page.fill("input[name=email]", "pat@example.com")
    page.fill("input[name=password]", "a long passphrase")
    page.click("button[type=submit]")
    page.goto(live_server.url + "/")
    add_to_cart(page, product, 4)

    page.click("text=Checkout")
    assert "Honeycrisp apples" in page.locator("table.basket").inner_text()
    page.fill("input[name=phone]", "555 0100 200")
    page.fill("textarea[name=address]", "1 Orchard Lane")
    page.click("text=Review order")
    assert "$11.00" in page.locator("table.basket").inner_text()
    page.click("#place-order")

    assert "Thank you, your order is placed" in page.locator("h1").inner_text()
    reference = page.locator(".reference").inner_text()
    page.click("text=Your orders")
    assert reference in page.locator("table.order-history").inner_text()
    assert Product.objects.get(id=product.id).stock == 16
