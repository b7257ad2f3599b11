"""An event remembers the trace it was recorded in, for the relay and the consumers to continue."""

import pytest
from django.db import transaction
from opentelemetry import trace

from outbox.services import outbox_record
from urbanharvest import telemetry


@pytest.mark.django_db(databases=["shard_0"])
def test_an_event_recorded_in_a_request_stores_that_requests_traceparent():
    with telemetry.tracer.start_as_current_span("POST checkout/") as span, transaction.atomic(using="shard_0"):
        event = outbox_record(using="shard_0", event_type="order_placed", key="7", payload={"order": 7})

    context = span.get_span_context()
    _version, trace_id, span_id, _flags = event.headers["traceparent"].split("-")
    assert (trace_id, span_id) == (trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id))
