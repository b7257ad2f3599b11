"""Farmers in the admin: each sees and changes only their own farm, products and images; staff see
everything; stock moves only by adjustments that never overwrite a concurrent checkout's take."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType

from marketplace.models import Product
from tests.marketplace.admin_forms import product_form_data
from tests.marketplace.factories import PASSWORD, CategoryFactory, ProductFactory, ProductImageFactory, farmer_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def farms(client):
    alice, bob = farmer_make("Alice Acres"), farmer_make("Bob's Orchard")
    category = CategoryFactory(name="Vegetables", slug="vegetables")
    mine = ProductFactory(farmer=alice, name="Alice Carrots", category=category)
    theirs = ProductFactory(farmer=bob, name="Bob Apples", category=category)
    image = ProductImageFactory(product=theirs)
    client.login(username=alice.user.username, password=PASSWORD)
    return {"alice": alice, "bob": bob, "mine": mine, "theirs": theirs, "image": image, "category": category}


def test_farmer_a_gets_403_or_404_on_every_admin_url_of_farmer_b(client, farms):
    product, farm = farms["theirs"].pk, farms["bob"].pk
    urls = [
        f"/admin/marketplace/product/{product}/change/",
        f"/admin/marketplace/product/{product}/delete/",
        f"/admin/marketplace/product/{product}/history/",
        f"/admin/marketplace/farmer/{farm}/change/",
        f"/admin/marketplace/farmer/{farm}/delete/",
        f"/admin/marketplace/farmer/{farm}/history/",
        f"/admin/auth/user/{farms['bob'].user_id}/change/",
        f"/admin/r/{ContentType.objects.get_for_model(Product).pk}/{product}/",
    ]

    got = {url: client.get(url).status_code for url in urls}
    posted = {url: client.post(url, product_form_data(farms["theirs"], name="Mine now")).status_code for url in urls}

    assert set(got.values()) <= {403, 404}, got
    assert set(posted.values()) <= {403, 404}, posted
    assert Product.objects.get(pk=product).name == "Bob Apples"


def test_view_on_site_takes_a_farmer_to_their_own_product_page(client, farms):
    product_type = ContentType.objects.get_for_model(Product).pk

    response = client.get(f"/admin/r/{product_type}/{farms['mine'].pk}/")

    assert response.status_code == 302
    assert farms["mine"].slug in response["Location"]


def test_a_farmers_change_lists_hold_only_their_own_rows(client, farms):
    products = client.get("/admin/marketplace/product/")
    farmers = client.get("/admin/marketplace/farmer/")

    assert "Alice Carrots" in products.text and "Bob Apples" not in products.text
    assert "Alice Acres" in farmers.text and "Bob&#x27;s Orchard" not in farmers.text


def test_staff_see_every_farm(client, farms):
    get_user_model().objects.create_superuser("staff", "staff@example.com", PASSWORD)
    client.login(username="staff", password=PASSWORD)

    products = client.get("/admin/marketplace/product/")

    assert "Alice Carrots" in products.text and "Bob Apples" in products.text
    assert client.get(f"/admin/marketplace/product/{farms['theirs'].pk}/change/").status_code == 200


def test_a_farmer_adds_a_product_to_their_own_farm(client, farms):
    response = client.post("/admin/marketplace/product/add/", product_form_data(category=farms["category"].pk))

    assert response.status_code == 302
    assert Product.objects.get(slug="rainbow-carrots").farmer == farms["alice"]


def test_a_duplicate_slug_on_the_same_farm_is_a_form_error(client, farms):
    data = product_form_data(category=farms["category"].pk, slug=farms["mine"].slug)

    response = client.post("/admin/marketplace/product/add/", data)

    assert response.status_code == 200
    assert "already has a product with this slug" in response.text


def test_another_farmers_image_cannot_be_edited_through_my_product(client, farms):
    data = product_form_data(farms["mine"]) | {
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "1",
        "images-0-id": str(farms["image"].pk),
        "images-0-product": str(farms["mine"].pk),
        "images-0-alt_text": "stolen",
        "images-0-position": "0",
    }

    client.post(f"/admin/marketplace/product/{farms['mine'].pk}/change/", data)

    farms["image"].refresh_from_db()
    assert farms["image"].alt_text == "A picture"
    assert farms["image"].product == farms["theirs"]


def test_a_stock_adjustment_lands_on_top_of_a_checkout_that_took_stock_meanwhile(client, farms):
    product = farms["mine"]  # the farmer opened the form at 20
    Product.objects.filter(pk=product.pk).update(stock=17)  # a checkout took 3

    client.post(f"/admin/marketplace/product/{product.pk}/change/", product_form_data(product, adjust_stock=5))

    product.refresh_from_db()
    assert product.stock == 22


def test_taking_more_stock_than_there_is_is_a_form_error(client, farms):
    product = farms["mine"]

    response = client.post(
        f"/admin/marketplace/product/{product.pk}/change/", product_form_data(product, adjust_stock=-21)
    )

    product.refresh_from_db()
    assert "There are only 20 in stock." in response.text
    assert product.stock == 20


def test_a_farmers_group_account_without_a_farm_sees_nothing_and_adds_nothing(client, farms):
    user = get_user_model().objects.create_user("orphan", password=PASSWORD, is_staff=True)
    user.groups.add(farms["alice"].user.groups.get())
    client.login(username="orphan", password=PASSWORD)

    products = client.get("/admin/marketplace/product/")
    added = client.post("/admin/marketplace/product/add/", product_form_data(category=farms["category"].pk))

    assert "Alice Carrots" not in products.text and "Bob Apples" not in products.text
    assert added.status_code == 403
    assert not Product.objects.filter(slug="rainbow-carrots").exists()
