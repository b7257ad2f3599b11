"""OpenTelemetry for every UrbanHarvest process: the web workers, the relay and each consumer.

Two steps, because gunicorn forks:
- `instrument()` patches the libraries (Django's middleware list, psycopg2, requests, kafka-python).
  It starts no thread, so it is safe before a fork, and it must run before Django builds its
  middleware chain (manage.py and wsgi.py call it first thing).
- `configure(service_name=...)` installs the tracer provider and its exporter. It starts the batch
  exporter's thread, so under gunicorn it runs in each worker (the `post_fork` hook); a worker
  command calls it once at start.

Spans go to OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, otherwise where `TRACES_EXPORTER`
says (`console`, `file` into `TRACES_FILE`, or `none`).
"""

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

from django.conf import settings
from django.db.backends.signals import connection_created
from opentelemetry import context, propagate, trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.kafka import KafkaInstrumentor
from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

import urbanharvest

# Probes poll these every few seconds; a span each would drown the traces that matter.
UNTRACED_URLS = "healthz,readyz"
DB_ALIAS_ATTRIBUTE = "db.django.alias"
_TRACE_HEADERS = frozenset({"traceparent", "tracestate"})

_DB_ALIAS_KEY = context.create_key("urbanharvest.db_alias")
_lock = threading.Lock()
_instrumented = False
_provider: TracerProvider | None = None


def instrument() -> None:
    """Patch the libraries whose calls become spans. Idempotent; safe before gunicorn forks."""
    global _instrumented
    with _lock:
        if _instrumented:
            return
        # Load the settings first, so that an error in them stops the process: the Django
        # instrumentation would swallow it and carry on with Django's empty default settings.
        settings.MIDDLEWARE  # noqa: B018
        DjangoInstrumentor().instrument(excluded_urls=UNTRACED_URLS)
        Psycopg2Instrumentor().instrument()
        RequestsInstrumentor().instrument()
        KafkaInstrumentor().instrument()
        connection_created.connect(_label_queries_with_alias, dispatch_uid="telemetry-db-alias")
        _instrumented = True


def configure(*, service_name: str, processor: SpanProcessor | None = None) -> TracerProvider:
    """Install this process's tracer provider (once): service name and version on every span,
    the database alias on every query span, and spans exported to `processor` (default: the
    exporter the settings choose). `OTEL_SERVICE_NAME`, when set, names the service instead, as
    everywhere in OpenTelemetry. Call it after forking, never before."""
    global _provider
    instrument()
    with _lock:
        if _provider is not None:
            return _provider
        resource = Resource.create(
            {
                "service.name": os.environ.get("OTEL_SERVICE_NAME") or service_name,
                "service.version": urbanharvest.__version__,
                "service.instance.id": f"{os.uname().nodename}:{os.getpid()}",
            }
        )
        provider = TracerProvider(resource=resource)
        provider.add_span_processor(DatabaseAliasProcessor())
        exporting = processor if processor is not None else _exporting_processor()
        if exporting is not None:
            provider.add_span_processor(exporting)
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def service_name() -> str:
    """The service name this process reports under; before `configure`, its command line
    (`manage.py migrate_all`), which says as much to an operator."""
    if _provider is None:
        return " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:2]])
    return str(_provider.resource.attributes["service.name"])


def shutdown() -> None:
    """Flush the spans still queued in this process (a worker's exit)."""
    if _provider is not None:
        _provider.shutdown()


def _exporting_processor() -> SpanProcessor | None:
    choice = settings.TRACES_EXPORTER
    if choice == "otlp":
        # Imported here: the exporter pulls in protobuf, which processes without OTLP never need.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter())
    if choice == "console":
        return BatchSpanProcessor(ConsoleSpanExporter())
    if choice == "file":
        return BatchSpanProcessor(ConsoleSpanExporter(out=traces_file_open(), formatter=_one_line))
    return None


TRACES_FILE_MAX_BYTES = 100 * 1024 * 1024


def traces_file_open() -> TextIO:
    """The traces file, to append to for the process's life. One past TRACES_FILE_MAX_BYTES is moved
    aside to `<name>.1` first (replacing the one before), so `make run` keeps at most two."""
    path = settings.TRACES_FILE
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if os.path.getsize(path) > TRACES_FILE_MAX_BYTES:
            os.replace(path, f"{path}.1")
    return open(path, "a", buffering=1)


def _one_line(span: ReadableSpan) -> str:
    return span.to_json(indent=None) + "\n"


class DatabaseAliasProcessor(SpanProcessor):
    """Names the Django database (`default`, `replica`, `shard_N`) on each psycopg2 query span:
    host and port alone cannot tell the replica alias from the primary when both point at one server."""

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        alias = context.get_value(_DB_ALIAS_KEY, parent_context)
        if alias is not None:
            span.set_attribute(DB_ALIAS_ATTRIBUTE, alias)


def _label_queries_with_alias(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created runs on every reconnect of the same wrapper: install the wrapper once."""
    if not any(isinstance(w, _AliasInContext) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(_AliasInContext(connection.alias))


class _AliasInContext:
    """A Django execute wrapper that puts the connection's alias in the context the query span
    starts in, where DatabaseAliasProcessor reads it."""

    def __init__(self, alias: str):
        self.alias = alias

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, ctx: dict) -> Any:
        token = context.attach(context.set_value(_DB_ALIAS_KEY, self.alias))
        try:
            return execute(sql, params, many, ctx)
        finally:
            context.detach(token)


tracer = trace.get_tracer("urbanharvest", urbanharvest.__version__)


@contextmanager
def step_span(name: str, attributes: Mapping[str, str | int | float | bool] | None = None) -> Iterator[trace.Span]:
    """A span around one business step (`reserve stock`, `write order`, ...); an exception leaving
    it marks the span failed, with the exception recorded."""
    with tracer.start_as_current_span(name, attributes=attributes) as span:
        yield span


def trace_headers() -> dict[str, str]:
    """The current trace context as W3C headers (`traceparent`, `tracestate`), to store with work
    that another process carries on (an outbox row)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def publish_span(*, topic: str, key: str, event_type: str, headers: Mapping[str, str]) -> Iterator[trace.Span]:
    """The relay's span for publishing one stored event, continuing the trace the event was
    recorded in (its stored `traceparent`). Send the message inside it: the kafka-python
    instrumentation opens the producer span under it and puts that span's context in the message."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.kafka.message.key": key,
        "urbanharvest.event_type": event_type,
    }
    with tracer.start_as_current_span(
        f"publish {event_type}", context=propagate.extract(dict(headers)), attributes=attributes
    ) as span:
        yield span


def headers_without_trace_context(headers: Mapping[str, str]) -> dict[str, str]:
    """Stored headers minus the stored trace context: the kafka-python instrumentation puts the live
    one (its producer span's) in the message, and a consumer must not find the stale one first."""
    return {name: value for name, value in headers.items() if name not in _TRACE_HEADERS}


@contextmanager
def consume_span(message: Any, *, group: str, headers: Mapping[str, str]) -> Iterator[trace.Span]:
    """The consumer's span for handling one Kafka message (its `headers` decoded by the consumer), in
    the trace of the request that caused it: kafka-python's own consumer span only exists when
    iterating and ends before the handler runs."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": message.topic,
        "messaging.consumer.group.name": group,
        "messaging.destination.partition.id": str(message.partition),
        "messaging.kafka.offset": message.offset,
    }
    with tracer.start_as_current_span(
        f"{message.topic} process",
        context=propagate.extract(dict(headers)),
        kind=trace.SpanKind.CONSUMER,
        attributes=attributes,
    ) as span:
        yield span


class TraceContextFilter(logging.Filter):
    """Puts the current trace and span ids on every log record (`-` outside any span), so a log
    line leads to its trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = trace.format_trace_id(span_context.trace_id)
            record.span_id = trace.format_span_id(span_context.span_id)
        else:
            record.trace_id = record.span_id = "-"
        return True
