"""Tracing in the web process: view spans named by route, query spans naming their database, trace
ids in log lines, and the propagation helpers the outbox and the Kafka hops use."""

import http.server
import logging
import threading
import uuid

import pytest
import requests
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from opentelemetry import trace

from events.clients import headers_decode
from urbanharvest import telemetry

ALIAS = telemetry.DB_ALIAS_ATTRIBUTE


@pytest.mark.django_db(databases="__all__")
def test_a_page_makes_a_span_named_by_its_route_and_query_spans_naming_their_databases(admin_client, spans):
    response = admin_client.get("/ops/")

    assert response.status_code == 200
    finished = spans.get_finished_spans()
    view = next(s for s in finished if s.kind == trace.SpanKind.SERVER)
    queries = [s for s in finished if ALIAS in s.attributes]
    assert view.name == "GET ops/"
    assert {"default", "shard_0", "shard_1"} <= {q.attributes[ALIAS] for q in queries}
    assert {q.context.trace_id for q in queries} == {view.context.trace_id}


def test_log_lines_carry_the_trace_and_span_ids():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    handler.addFilter(telemetry.TraceContextFilter())
    logger = logging.getLogger("tests.telemetry")
    logger.addHandler(handler)

    with telemetry.tracer.start_as_current_span("checkout") as span:
        logger.warning("stock is low")
    logger.removeHandler(handler)

    context = span.get_span_context()
    assert records[0].trace_id == trace.format_trace_id(context.trace_id)
    assert records[0].span_id == trace.format_span_id(context.span_id)


def message_headers(stored: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in telemetry.headers_without_trace_context(stored).items()]


def test_a_message_published_and_consumed_continues_the_trace_stored_with_its_event(spans, settings):
    topic = f"trace-probe-{uuid.uuid4().hex}"
    admin = KafkaAdminClient(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    admin.close()
    with telemetry.tracer.start_as_current_span("POST checkout/") as request_span:
        stored = {"event_type": "order_placed", **telemetry.trace_headers()}

    producer = KafkaProducer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS)
    with telemetry.publish_span(topic=topic, key="42", event_type="order_placed", headers=stored):
        producer.send(topic, key=b"42", value=b"{}", headers=message_headers(stored)).get(timeout=10)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, fetch_max_wait_ms=10)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.seek(TopicPartition(topic, 0), 0)
    (message,) = next(iter(consumer.poll(timeout_ms=5000).values()))
    consumer.close()
    with telemetry.consume_span(message, group="notifications", headers=headers_decode(message)):
        pass

    by_name = {s.name: s for s in spans.get_finished_spans()}
    handled, sent = by_name[f"{topic} process"], by_name[f"{topic} send"]
    assert handled.context.trace_id == request_span.get_span_context().trace_id
    assert handled.parent.span_id == sent.context.span_id
    assert sent.parent.span_id == by_name["publish order_placed"].context.span_id


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in for an outside HTTP API (SMS, a farmer's warehouse) that keeps the headers it got."""

    received: list[dict[str, str]] = []

    def do_POST(self):
        self.received.append(dict(self.headers))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_outbound_http_call_is_a_client_span_whose_context_reaches_the_server(spans):
    server = http.server.HTTPServer(("127.0.0.1", 0), RecordingHandler)
    threading.Thread(target=server.handle_request, daemon=True).start()

    with telemetry.tracer.start_as_current_span("handle order_placed") as handling:
        requests.post(f"http://127.0.0.1:{server.server_port}/manifests", json={}, timeout=5)
    server.server_close()

    (call,) = [s for s in spans.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert call.parent.span_id == handling.get_span_context().span_id
    assert RecordingHandler.received[0]["traceparent"].split("-")[2] == trace.format_span_id(call.context.span_id)


def test_a_traces_file_past_its_limit_is_moved_aside_when_a_process_opens_it(settings, tmp_path, monkeypatch):
    settings.TRACES_FILE = str(tmp_path / "traces.jsonl")
    (tmp_path / "traces.jsonl").write_text("old span\n")
    monkeypatch.setattr(telemetry, "TRACES_FILE_MAX_BYTES", 4)

    with telemetry.traces_file_open() as out:
        out.write("new span\n")

    assert (tmp_path / "traces.jsonl.1").read_text() == "old span\n"
    assert (tmp_path / "traces.jsonl").read_text() == "new span\n"
