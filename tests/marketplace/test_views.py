"""The storefront as a shopper uses it: pages, search, filters, the cart, and what bad input gets."""

import pytest
from django.urls import reverse

from tests.marketplace.factories import CategoryFactory, ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    fruit = CategoryFactory(name="Fruit", slug="fruit")
    apples = ProductFactory(name="Honeycrisp Apples", slug="apples", category=fruit, description="Crisp and juicy.")
    carrots = ProductFactory(name="Carrots", slug="carrots", description="Sweet roots.")
    ProductFactory(name="Hidden Beets", slug="beets", is_active=False)
    for product in (apples, carrots):
        ProductImageFactory(product=product)
    return {"fruit": fruit, "apples": apples, "carrots": carrots}


def test_home_lists_categories_and_new_products(client, catalog):
    response = client.get("/")

    assert response.status_code == 200
    assert "Fruit" in response.text
    assert "Honeycrisp Apples" in response.text
    assert "Hidden Beets" not in response.text


def test_the_category_filter_shows_only_that_category(client, catalog):
    response = client.get("/products/", {"category": "fruit"})

    assert response.status_code == 200
    assert "Honeycrisp Apples" in response.text
    assert "Carrots" not in response.text


def test_search_finds_products_by_words_in_their_description(client, catalog):
    response = client.get("/products/", {"q": "juicy"})

    assert [p.name for p in response.context["page"].object_list] == ["Honeycrisp Apples"]


@pytest.mark.parametrize("query", ["'\"&|!():*", "tomato OR -", "a" * 200, "日本語"])
def test_any_search_text_gets_a_page(client, catalog, query):
    assert client.get("/products/", {"q": query}).status_code == 200


def test_a_search_with_a_null_character_is_a_clear_bad_request(client, catalog):
    response = client.get("/products/?q=%00")

    assert response.status_code == 400
    assert "Null characters are not allowed" in response.text


def test_an_unknown_category_or_product_is_a_404(client, catalog):
    assert client.get("/products/", {"category": "caviar"}).status_code == 404
    assert client.get("/farms/nobody/nothing/").status_code == 404
    assert client.get("/farms/nobody/").status_code == 404
    assert client.get(reverse("marketplace:product_detail", args=["farm-x", "beets"])).status_code == 404


def test_pages_split_the_list_and_odd_page_numbers_still_answer(client, catalog):
    ProductFactory.create_batch(30)

    first, last, odd = (client.get("/products/", {"page": page}) for page in ("1", "999", "abc"))

    assert len(first.context["page"].object_list) == 24
    assert last.context["page"].number == 2
    assert odd.context["page"].number == 1


def test_product_page_shows_price_unit_stock_and_next_delivery(client, catalog):
    response = client.get(catalog["apples"].get_absolute_url())

    assert response.status_code == 200
    assert "$3.50" in response.text and "per bunch" in response.text
    assert "20 available" in response.text
    assert "for delivery on" in response.text


def test_farm_directory_and_farm_page(client, catalog):
    farmer = catalog["apples"].farmer

    directory = client.get("/farms/")
    page = client.get(farmer.get_absolute_url())

    assert farmer.farm_name in directory.text
    assert page.status_code == 200
    assert "Honeycrisp Apples" in page.text


@pytest.mark.parametrize("url", ["/", "/products/", "/products/?q=carrots", "/farms/", "/cart/"])
def test_list_pages_cost_the_same_few_queries_however_many_products(
    client, catalog, url, django_assert_max_num_queries
):
    ProductImageFactory.create_batch(40)
    client.post("/cart/add/", {"product": catalog["apples"].pk, "quantity": 1})

    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200


def test_farm_and_product_pages_cost_a_few_queries(client, catalog, django_assert_max_num_queries):
    ProductImageFactory.create_batch(10, product__farmer=catalog["apples"].farmer)

    with django_assert_max_num_queries(4):
        assert client.get(catalog["apples"].farmer.get_absolute_url()).status_code == 200
    # The product, its farm, its category and its images: one query.
    with django_assert_max_num_queries(1):
        assert client.get(catalog["apples"].get_absolute_url()).status_code == 200
