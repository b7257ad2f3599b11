"""The staff page of one delivery day's orders, gathered from every shard."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.selectors import order_get
from tests.orders.factories import customer_on, placed_order


@pytest.mark.django_db(databases="__all__")
def test_staff_see_a_delivery_days_orders_from_every_shard_with_their_total(admin_client):
    placed = [placed_order(customer=customer_on(alias)) for alias in ("shard_0", "shard_1")]
    orders = [order_get(order_id=p.order_id) for p in placed]

    response = admin_client.get("/ops/deliveries/", {"day": orders[0].delivery_date.isoformat()})

    page = response.content.decode()
    assert response.status_code == 200
    assert all(order.reference in page for order in orders)
    assert f"2 orders, ${sum(order.total for order in orders)} in all." in page


@pytest.mark.django_db(databases="__all__")
def test_without_a_day_staff_see_tomorrows_orders(admin_client):
    response = admin_client.get("/ops/deliveries/")

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate() + dt.timedelta(days=1)


@pytest.mark.django_db
def test_a_day_that_is_no_date_is_refused_saying_so(admin_client):
    response = admin_client.get("/ops/deliveries/", {"day": "2026-13-45"})

    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()


@pytest.mark.django_db(databases="__all__")
def test_a_shopper_is_sent_to_the_staff_login_and_sees_no_order(client, django_user_model):
    placed = placed_order()
    client.force_login(django_user_model.objects.create_user("shopper", password="pw-123456789"))

    response = client.get("/ops/deliveries/", {"day": order_get(order_id=placed.order_id).delivery_date.isoformat()})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert placed.reference not in response.content.decode()
