"""A load generator: shoppers checking out through the website (Django's test Client, the real
checkout views) in threads, each checking after every order that its history lists every order it
placed, exactly once."""

import threading

from django.db import connections
from django.test import Client

from orders.models import Customer
from orders.selectors import PLACED_IN_SESSION, order_history
from tests.orders.checkout_client import cart_fill, place, review_form


class Shoppers:
    def __init__(
        self, *, customers: list[Customer], product_id: int, rounds: int | None = None, earlier: dict | None = None
    ) -> None:
        self.customers, self.product_id, self.rounds = customers, product_id, rounds
        self.placed: dict[int, int] = dict(earlier or {})  # order id -> customer id
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._shop, args=(c,)) for c in customers]

    def __enter__(self) -> "Shoppers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _shop(self, customer: Customer) -> None:
        client = Client()
        mine = {order_id for order_id, owner in list(self.placed.items()) if owner == customer.id}
        rounds = 0
        try:
            while not self.stop.is_set() and (self.rounds is None or rounds < self.rounds):
                rounds += 1
                try:
                    mine.add(self._checkout(client, customer))
                    history = [order.id for order in order_history(customer=customer)]
                except Exception as exc:  # every failure is collected and judged by the test
                    self.failures.append(f"{customer.email}: {exc!r}")
                    continue
                if len(history) != len(set(history)) or not mine <= set(history):
                    self.failures.append(f"{customer.email}: history {sorted(history)} lacks or repeats {sorted(mine)}")
        finally:
            connections.close_all()

    def _checkout(self, client: Client, customer: Customer) -> int:
        cart_fill(client, {self.product_id: 1})
        response = place(client, review_form(client, email=customer.email))
        if response.status_code != 302:
            raise AssertionError(f"checkout answered {response.status_code}")
        reference = response["Location"].split("/")[-3]  # /orders/<reference>/confirmation/
        order_id = client.session[PLACED_IN_SESSION][reference]
        self.placed[order_id] = customer.id
        return order_id
