import base64
import json
import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import Product
from orders.models import Customer, Order, StockReservation
from orders.services import customer_for_user
from routers.sharding import shard_for_customer
from tests.orders.checkout_client import DETAILS, cart_fill, place, review_form
from tests.orders.factories import ProductFactory, UserFactory, placed_order

SHARDED = ["default", "shard_0", "shard_1"]


def orders_of(email: str) -> list[Order]:
    customer = Customer.objects.get(email=email)
    return list(Order.objects.using(shard_for_customer(customer.id)).filter(customer_id=customer.id))


@pytest.mark.django_db(databases=SHARDED)
def test_a_guest_checks_out_and_sees_the_confirmation_with_a_random_reference(client: Client):
    product = ProductFactory(name="Rainbow chard", stock=5, price=Decimal("4.25"))
    cart_fill(client, {product.id: 2})

    response = place(client, review_form(client))
    confirmation = client.get(response.url)

    [order] = orders_of("shopper@example.com")
    assert response.url == reverse("orders:confirmation", kwargs={"reference": order.reference})
    assert "Thank you" in confirmation.content.decode()
    assert "Rainbow chard" in confirmation.content.decode()
    assert re.fullmatch(r"[A-Z2-9]{12}", order.reference)
    assert str(order.id) not in confirmation.content.decode()
    assert client.session.get("cart") is None


@pytest.mark.django_db(databases=SHARDED)
def test_a_replayed_place_order_submit_gives_the_same_order(client: Client):
    product = ProductFactory(stock=5)
    cart_fill(client, {product.id: 1})
    form = review_form(client)

    first, second = place(client, form), place(client, form)

    product.refresh_from_db()
    assert first.url == second.url
    assert product.stock == 4
    assert len(orders_of("shopper@example.com")) == 1


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"email": ""}, "This field is required"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"phone": "call me"}, "Enter a phone number"),
        ({"address": ""}, "Enter the address to deliver to"),
        ({"method": "pickup", "pickup_point": ""}, "Choose a pickup point"),
        ({"method": "pickup", "pickup_point": "the-moon"}, "Select a valid choice"),
    ],
)
def test_missing_or_bad_delivery_details_are_explained(client: Client, details, message):
    cart_fill(client, {ProductFactory().id: 1})

    response = client.post(reverse("orders:checkout"), {**DETAILS, **details})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert client.session.get("checkout_delivery") is None


def cheaper_basket(signed: str) -> str:
    """The signed basket with its price lowered and the signature kept, as a tamperer would try."""
    payload, rest = signed.split(":", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["lines"][0][2] = "0.01"
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=") + ":" + rest


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda form: {**form, "basket": cheaper_basket(form["basket"])}, "altered"),
        (lambda form: {**form, "basket": "W1s0MiwgMSwgIjAuMDEiXV0:forged:sig"}, "altered"),
        (lambda form: {**form, "idempotency_key": "1 OR 1=1"}, "Enter a valid UUID"),
        (lambda form: {"idempotency_key": form["idempotency_key"]}, "This field is required"),
    ],
)
def test_a_tampered_place_order_form_is_refused_and_changes_nothing(client: Client, tamper, message):
    product = ProductFactory(stock=5, price=Decimal("3.50"))
    cart_fill(client, {product.id: 1})

    response = place(client, tamper(review_form(client)))

    product.refresh_from_db()
    assert response.status_code == 400
    assert message in response.content.decode()
    assert product.stock == 5
    assert not StockReservation.objects.exists()


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price": Decimal("4.00")}, "changed from $3.50 to $4.00"),
        ({"is_active": False}, "is no longer available"),
        ({"stock": 0}, "Only 0 of"),
    ],
)
def test_a_product_changed_since_the_review_is_explained_and_nothing_is_ordered(client: Client, change, message):
    product = ProductFactory(stock=5, price=Decimal("3.50"))
    cart_fill(client, {product.id: 1})
    form = review_form(client)
    Product.objects.filter(id=product.id).update(**change)

    response = place(client, form)

    assert response.status_code == 409
    assert message in response.content.decode()
    assert not StockReservation.objects.exists()


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize("quantity", [-2, 0, 10**12])
def test_a_cart_with_a_silly_quantity_cannot_be_ordered(client: Client, quantity):
    cart_fill(client, {ProductFactory(stock=5).id: quantity})

    response = client.get(reverse("orders:checkout"))

    assert "quantities must be between 1 and 99" in response.content.decode()
    assert "Review order" not in response.content.decode()


@pytest.mark.django_db(databases=SHARDED)
def test_an_empty_cart_says_so(client: Client):
    response = client.get(reverse("orders:checkout"))

    assert "Your basket is empty" in response.content.decode()


@pytest.mark.django_db(databases=SHARDED)
def test_a_signed_in_shopper_sees_their_orders_only(client: Client):
    mine, theirs = UserFactory(), UserFactory()

    my_order = placed_order(customer=customer_for_user(user=mine))
    their_order = placed_order(customer=customer_for_user(user=theirs))
    client.force_login(mine)

    history = client.get(reverse("orders:history")).content.decode()
    detail = client.get(reverse("orders:detail", kwargs={"reference": my_order.reference}))
    other = client.get(reverse("orders:detail", kwargs={"reference": their_order.reference}))

    assert my_order.reference in history
    assert their_order.reference not in history
    assert detail.status_code == 200
    assert other.status_code == 404


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize("page", ["orders:detail", "orders:confirmation"])
def test_a_guest_cannot_open_an_order_placed_elsewhere(client: Client, page):
    order = placed_order()

    response = client.get(reverse(page, kwargs={"reference": order.reference}))

    assert response.status_code == 404


@pytest.mark.django_db(databases=SHARDED)
@pytest.mark.parametrize("reference", ["1", "AAAAAAAAAAAA", "hszgc5yn9g8a", "%27%20OR%201=1", str(uuid.uuid4())])
def test_made_up_references_are_not_found(client: Client, reference):
    placed_order()
    client.force_login(UserFactory())

    assert client.get(f"/orders/{reference}/").status_code == 404


@pytest.mark.django_db(databases=SHARDED)
def test_order_history_needs_signing_in(client: Client):
    response = client.get(reverse("orders:history"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db(databases=SHARDED)
def test_a_shopper_registers_and_is_signed_in(client: Client):
    response = client.post(
        reverse("accounts:register"), {"name": "Pat", "email": "Pat@Example.com", "password": "a long passphrase"}
    )

    assert response.url == reverse("orders:history")
    assert "You have not ordered yet" in client.get(response.url).content.decode()


@pytest.mark.django_db(databases=SHARDED)
def test_registering_with_a_weak_password_or_a_taken_email_is_explained(client: Client):
    UserFactory(username="taken@example.com")

    weak = client.post(reverse("accounts:register"), {"email": "new@example.com", "password": "123"})
    taken = client.post(reverse("accounts:register"), {"email": "taken@example.com", "password": "a long passphrase"})

    assert "too short" in weak.content.decode()
    assert "sign in instead" in taken.content.decode()


@pytest.mark.django_db(databases=SHARDED)
def test_a_registered_shopper_signs_in_with_their_email_in_any_case(client: Client):
    UserFactory(username="sam@example.com")

    wrong = client.post(reverse("accounts:login"), {"username": "sam@example.com", "password": "wrong"})
    right = client.post(reverse("accounts:login"), {"username": "Sam@Example.com", "password": "correct horse battery"})

    assert "enter a correct email and password" in wrong.content.decode()
    assert right.url == reverse("orders:history")
