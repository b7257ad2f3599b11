"""Driving checkout over HTTP with Django's test client, as a browser would."""

import re

from django.test import Client
from django.urls import reverse

from marketplace.cart import SESSION_KEY

DETAILS = {"email": "shopper@example.com", "phone": "555 0100 200", "method": "address", "address": "1 Orchard Lane"}


def cart_fill(client: Client, quantities: dict[int, int]) -> None:
    """Put lines in the session cart as stored, bypassing the storefront's form (so bad quantities
    a buggy or hostile path could leave there reach checkout)."""
    session = client.session
    session[SESSION_KEY] = {str(product_id): quantity for product_id, quantity in quantities.items()}
    session.save()


def review_form(client: Client, **details: str) -> dict[str, str]:
    """Enter delivery details, open the review page and return its place-order form's fields."""
    response = client.post(reverse("orders:checkout"), {**DETAILS, **details})
    assert response.status_code == 302, response.content.decode()
    page = client.get(reverse("orders:review")).content.decode()
    return dict(re.findall(r'<input type="hidden" name="(basket|idempotency_key)" value="([^"]+)"', page))


def place(client: Client, form: dict[str, str]):
    return client.post(reverse("orders:review"), form)
