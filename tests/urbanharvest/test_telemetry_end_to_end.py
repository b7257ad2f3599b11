"""From the click to the consumer: a checkout, the relay and the notifications consumer, each its own
process as `make run` runs them, all in one trace."""

from decimal import Decimal

import pytest
from django.test import Client
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ExportedSpan

from bench.tracing import SpanSink
from tests.eventstack import groups_skip_history, wait_for
from tests.orders.checkout_client import cart_fill, place, review_form
from tests.orders.factories import ProductFactory
from urbanharvest import telemetry

ALIAS = telemetry.DB_ALIAS_ATTRIBUTE


@pytest.fixture
def otlp_receiver(monkeypatch):
    """A local OTLP/HTTP collector that processes started by the test export to, soon after each span."""
    receiver = SpanSink(keep=True)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    yield receiver
    receiver.close()


# Head sampling as a deployment bounds tracing's cost: the relay and the consumers, which start no
# trace of their own here, follow the sampled request's decision (a parent-based sampler).
SAMPLERS = {
    "every trace": {},
    "head sampled": {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"},
}


@pytest.mark.parametrize("sampler", SAMPLERS.values(), ids=SAMPLERS.keys())
@pytest.mark.django_db(databases=["default", "replica", "shard_0", "shard_1"], transaction=True)
def test_a_checkout_is_one_trace_from_the_view_through_the_relay_to_the_notifications_consumer(
    client: Client, spans, processes, otlp_receiver, sampler, monkeypatch
):
    for name, value in sampler.items():
        monkeypatch.setenv(name, value)
    groups_skip_history(["notifications"])
    processes("relay_outbox")
    processes("consume_notifications").wait_ready("notifications: consuming")
    cart_fill(client, {ProductFactory(stock=5, price=Decimal("3.00")).id: 1})
    form = review_form(client)
    spans.clear()

    place(client, form)

    finished = spans.get_finished_spans()
    web = {s.name: s for s in finished}
    trace_id = web["POST checkout/review/"].context.trace_id
    consumed = wait_for(
        lambda: otlp_receiver.spans_of("urbanharvest-consume-notifications", trace_id=trace_id).get(
            "order_events process"
        ),
        timeout=60,
        what="the notifications consumer's span",
    )
    relay = otlp_receiver.spans_of("urbanharvest-relay-outbox", trace_id=trace_id)
    query_aliases = {s.attributes[ALIAS] for s in finished if ALIAS in s.attributes}
    assert {s.context.trace_id for s in finished} == {trace_id}
    assert {"reserve stock", "write order"} <= web.keys()
    assert {"default", web["write order"].attributes["order.shard"]} <= query_aliases
    assert {"publish order_placed", "order_events send"} <= relay.keys()
    assert consumed.parent_span_id == relay["order_events send"].span_id
    assert consumed.kind == ExportedSpan.SPAN_KIND_CONSUMER
