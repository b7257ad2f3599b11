"""The session cart as a shopper drives it: add, change, remove, totals, and refused quantities."""

import pytest

from marketplace.cart import cart_items
from tests.marketplace.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrots():
    return ProductFactory(name="Carrots", price="3.50", stock=5)


def test_adding_twice_adds_up_and_the_cart_shows_the_totals(client, carrots):
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 2})
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 1})

    response = client.get("/cart/")

    assert cart_items(client.session) == {carrots.pk: 3}
    assert "$10.50" in response.text
    assert 'href="/checkout/"' in response.text


def test_changing_and_removing_a_line(client, carrots):
    other = ProductFactory(name="Beets", price="4.00")
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 2})
    client.post("/cart/add/", {"product": other.pk, "quantity": 1})

    client.post("/cart/update/", {"product": carrots.pk, "quantity": 4})
    client.post("/cart/remove/", {"product": other.pk})

    assert cart_items(client.session) == {carrots.pk: 4}


def test_updating_to_zero_removes_the_line(client, carrots):
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 2})

    client.post("/cart/update/", {"product": carrots.pk, "quantity": 0})

    assert cart_items(client.session) == {}


def test_more_than_the_stock_is_refused_with_a_clear_message(client, carrots):
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 4})

    response = client.post("/cart/add/", {"product": carrots.pk, "quantity": 2}, follow=True)

    assert cart_items(client.session) == {carrots.pk: 4}
    assert "Only 5 of Carrots left; your cart already holds 4." in response.text


@pytest.mark.parametrize(
    "posted",
    [
        {"quantity": "1"},
        {"product": "abc", "quantity": "1"},
        {"product": "²", "quantity": "1"},
        {"product": "99999999999999999999999", "quantity": "1"},
        {"product": "{pk}", "quantity": "-1"},
        {"product": "{pk}", "quantity": "1.5"},
        {"product": "{pk}", "quantity": "100000"},
    ],
)
def test_bad_cart_input_changes_nothing_and_never_fails(client, carrots, posted):
    data = {key: value.format(pk=carrots.pk) for key, value in posted.items()}

    responses = [client.post(url, data, follow=True) for url in ("/cart/add/", "/cart/update/")]

    assert [r.status_code for r in responses] == [200, 200]
    assert cart_items(client.session) == {}
    assert all(list(r.context["messages"]) for r in responses)


def test_a_product_taken_off_sale_leaves_the_cart_with_a_note(client, carrots):
    client.post("/cart/add/", {"product": carrots.pk, "quantity": 1})
    carrots.is_active = False
    carrots.save()

    response = client.get("/cart/")

    assert "no longer on sale" in response.text
    assert cart_items(client.session) == {}


def test_the_cart_refuses_get_on_its_actions(client):
    assert client.get("/cart/add/").status_code == 405
