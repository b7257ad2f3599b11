"""A checkout is one trace: the request, each business step, and every query on the server it ran on."""

from decimal import Decimal

import pytest
from django.test import Client
from opentelemetry import trace

from orders.models import Customer
from outbox.models import OutboxEvent
from routers.sharding import shard_for_customer
from tests.orders.checkout_client import cart_fill, place, review_form
from tests.orders.factories import ProductFactory
from urbanharvest import telemetry

ALIAS = telemetry.DB_ALIAS_ATTRIBUTE


def under(step, spans):
    return [s for s in spans if s.parent is not None and s.parent.span_id == step.context.span_id]


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_a_checkout_traces_its_steps_and_the_queries_on_the_primary_and_the_customers_shard(client: Client, spans):
    cart_fill(client, {ProductFactory(stock=5, price=Decimal("3.00")).id: 2})
    form = review_form(client)
    spans.clear()

    place(client, form)

    finished = spans.get_finished_spans()
    by_name = {s.name: s for s in finished}
    view, reserve, write = by_name["POST checkout/review/"], by_name["reserve stock"], by_name["write order"]
    shard = shard_for_customer(Customer.objects.get(email="shopper@example.com").id)
    assert view.kind == trace.SpanKind.SERVER
    assert {s.context.trace_id for s in finished} == {view.context.trace_id}
    assert {q.attributes[ALIAS] for q in under(reserve, finished)} == {"default"}
    assert {q.attributes[ALIAS] for q in under(write, finished)} == {shard}
    assert any("UPDATE" in q.attributes["db.statement"] for q in under(reserve, finished))
    assert write.attributes["order.shard"] == shard


@pytest.mark.django_db(databases=["default", "shard_0", "shard_1"])
def test_the_order_placed_event_carries_the_checkouts_trace(client: Client, spans):
    cart_fill(client, {ProductFactory(stock=5, price=Decimal("3.00")).id: 1})
    form = review_form(client)
    spans.clear()

    place(client, form)

    write = next(s for s in spans.get_finished_spans() if s.name == "write order")
    event = OutboxEvent.objects.using(write.attributes["order.shard"]).get(key=str(write.attributes["order.id"]))
    assert event.headers["traceparent"].split("-")[1] == trace.format_trace_id(write.context.trace_id)
