"""A real Chromium walks the storefront as a shopper, and the admin as a farmer."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.models import ProductImage
from tests.cdn.bucket import media_keys
from tests.marketplace.factories import (
    PASSWORD,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    farmer_make,
    jpeg,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def test_a_shopper_goes_from_home_to_a_category_to_a_product_into_the_cart(live_server, page, replica_caught_up):
    fruit = CategoryFactory(name="Fruit", slug="fruit")
    ProductImageFactory(product=ProductFactory(name="Honeycrisp Apples", category=fruit, price="2.75", stock=9))
    ProductFactory(name="Carrots")
    replica_caught_up()

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Fruit").click()
    expect(page.locator("h1")).to_have_text("Fruit")
    expect(page.get_by_text("Carrots")).to_have_count(0)
    page.get_by_role("link", name="Honeycrisp Apples").click()
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.locator(".message")).to_contain_text("Added 3 x Honeycrisp Apples")
    expect(page.locator(".cart-total")).to_have_text("$8.25")
    expect(page.get_by_role("link", name="Go to checkout")).to_have_attribute("href", "/checkout/")


def test_a_farmer_adds_a_product_with_a_picture_and_it_is_on_the_storefront(live_server, page, tmp_path):
    farmer = farmer_make("Miller Family Farm")
    CategoryFactory(name="Vegetables", slug="vegetables")
    picture = tmp_path / "beets.jpg"
    picture.write_bytes(jpeg("purple").read())

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(farmer.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server.url + "/admin/marketplace/product/add/")
    page.locator("#id_name").fill("Golden Beets")
    page.locator("#id_category").select_option(label="Vegetables")
    page.locator("#id_price").fill("4.25")
    page.locator("#id_stock").fill("12")
    page.locator("#id_images-0-image").set_input_files(str(picture))
    page.locator("#id_images-0-alt_text").fill("A bunch of golden beets")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(live_server.url + "/farms/miller-family-farm/golden-beets/")

    expect(page.locator("h1")).to_have_text("Golden Beets")
    image = page.get_by_alt_text("A bunch of golden beets")
    expect(image).to_have_attribute("src", re.compile(r"^http://.+/media/products/.+\.large\.webp$"))
    assert image.evaluate("img => img.complete && img.naturalWidth") == 640
    original = ProductImage.objects.get(alt_text="A bunch of golden beets").image.name
    stem = original.rsplit(".", 1)[0]
    assert {original, f"{stem}.thumb.webp", f"{stem}.large.webp"} <= set(media_keys("products/"))
