"""A local OTLP/HTTP collector for tests that check what a process exports."""

import http.server
import threading

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class OTLPReceiver(http.server.ThreadingHTTPServer):
    """Keeps the spans of every POST /v1/traces, with their resource's attributes, while it runs."""

    def __init__(self):
        self.spans: list[tuple[dict, object]] = []
        super().__init__(("127.0.0.1", 0), self._Handler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def spans_of(self, service: str, *, trace_id: int) -> dict[str, object]:
        """The spans `service` exported in trace `trace_id`, by name."""
        return {
            span.name: span
            for resource, span in list(self.spans)
            if resource["service.name"] == service and int.from_bytes(span.trace_id, "big") == trace_id
        }

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                export = ExportTraceServiceRequest.FromString(body)
                for resource_spans in export.resource_spans:
                    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                    for scope_spans in resource_spans.scope_spans:
                        self.server.spans += [(resource, span) for span in scope_spans.spans]
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass
