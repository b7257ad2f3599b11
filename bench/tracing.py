"""Tracing as the benchmarks' web workers run it (`--traces`): sampled OTLP by default, as a deployment
runs, into a local collector stand-in, which the tests that check what a process exports use too."""

import http.server
import threading

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACES = ("sampled", "otlp", "file", "none")


class SpanSink(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP collector that counts the spans POSTed to /v1/traces. With `keep` (the tests) it
    also keeps each span with its resource's attributes; a benchmark's spans are only counted."""

    def __init__(self, *, keep: bool = False) -> None:
        self.keep = keep
        self.spans = 0
        self.kept: list[tuple[dict[str, str], object]] = []
        super().__init__(("127.0.0.1", 0), self._Handler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def spans_of(self, service: str, *, trace_id: int) -> dict[str, object]:
        """The kept spans `service` exported in trace `trace_id`, by name."""
        return {
            span.name: span
            for resource, span in list(self.kept)
            if resource["service.name"] == service and int.from_bytes(span.trace_id, "big") == trace_id
        }

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                export = ExportTraceServiceRequest.FromString(body)
                for resource_spans in export.resource_spans:
                    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                    for scope_spans in resource_spans.scope_spans:
                        self.server.spans += len(scope_spans.spans)
                        if self.server.keep:
                            self.server.kept += [(resource, span) for span in scope_spans.spans]
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass


def tracing_env(traces: str, ratio: float, sink: SpanSink | None) -> tuple[dict[str, str], str]:
    """The web workers' tracing environment for a `--traces` choice, and how to print it."""
    if traces == "file":
        return {"TRACES_EXPORTER": "file"}, "every span to the dev stack's traces file (make run)"
    if traces == "none":
        return {"TRACES_EXPORTER": "none"}, "instrumented, no exporter"
    otlp = {"OTEL_EXPORTER_OTLP_ENDPOINT": sink.url, "TRACES_EXPORTER": "otlp"}
    if traces == "otlp":
        return {**otlp, "OTEL_TRACES_SAMPLER": "parentbased_always_on"}, "OTLP/HTTP, batch processor, every trace"
    sampler = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": str(ratio)}
    return {**otlp, **sampler}, f"OTLP/HTTP, batch processor, parentbased_traceidratio {ratio:g}"
