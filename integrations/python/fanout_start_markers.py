"""Optional: start markers for `fanout watch`, so running tools show live.

OTLP exports a span only when it ends, so `fanout watch` cannot see a tool that is still
running. Add this processor next to your usual one and every span also sends, as it starts, a
zero-length *marker* through the same exporter: a copy of the span with its own span id and the
attributes `fanout.start = true` and `fanout.span_id = <the real span's id>`. fanout draws the
tool as running from its start and replaces the marker when the real span ends; markers never
become calls of a record.

    exporter = OTLPSpanExporter()                         # OTEL_EXPORTER_OTLP_* as usual
    provider.add_span_processor(StartMarkers(exporter))   # markers, as spans start
    provider.add_span_processor(BatchSpanProcessor(exporter))

Other backends that receive the same export see the markers as zero-length spans named like
the real ones: send markers only to fanout if that matters (give StartMarkers its own exporter).
The marker is exported synchronously in `on_start` (one small request, like
SimpleSpanProcessor); it never raises into the agent.
"""

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanContext, format_span_id


class StartMarkers(SpanProcessor):
    """Exports a start marker for every span as it starts."""

    def __init__(self, exporter):
        self._exporter = exporter
        self._ids = RandomIdGenerator()

    def on_start(self, span, parent_context=None):
        ctx = span.get_span_context()
        attributes = dict(span.attributes or {})
        attributes["fanout.start"] = True
        attributes["fanout.span_id"] = format_span_id(ctx.span_id)
        marker = ReadableSpan(
            name=span.name,
            context=SpanContext(
                ctx.trace_id,
                self._ids.generate_span_id(),
                is_remote=False,
                trace_flags=ctx.trace_flags,
                trace_state=ctx.trace_state,
            ),
            parent=span.parent,
            resource=span.resource,
            attributes=attributes,
            kind=span.kind,
            start_time=span.start_time,
            end_time=span.start_time,
            instrumentation_scope=span.instrumentation_scope,
        )
        try:
            self._exporter.export([marker])
        except Exception:  # a marker is a hint: never break the agent for it
            pass

    def on_end(self, span):
        pass

    def shutdown(self):
        pass

    def force_flush(self, timeout_millis=30000):
        return True
