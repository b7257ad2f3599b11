"""Tracing as the benchmarks' web workers run it (`--traces`): sampled OTLP by default, as a deployment
runs, into a collector stand-in that counts spans and keeps none."""

import http.server
import threading

TRACES = ("sampled", "otlp", "file", "none")


class SpanSink(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP collector that counts the spans it is sent and keeps none of them."""

    def __init__(self) -> None:
        self.spans = 0
        super().__init__(("127.0.0.1", 0), self._Handler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

            export = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["Content-Length"])))
            self.server.spans += sum(len(scope.spans) for rs in export.resource_spans for scope in rs.scope_spans)
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
