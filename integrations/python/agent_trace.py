"""An agent-shaped trace, made with the stock OpenTelemetry SDK and exported over OTLP/HTTP
protobuf to wherever OTEL_EXPORTER_OTLP_ENDPOINT points (a running `fanout watch`).

    invoke_agent travel-planner
      chat gpt-4o                      0 – 100 ms
      execute_tool get_weather       100 – 400 ms   ┐
      execute_tool search_flights    400 – 600 ms   │ one after another: 900 ms, together 400 ms
      execute_tool search_hotels     600 – 1000 ms  ┘
      chat gpt-4o                   1000 – 1100 ms
      execute_tool book_flight      1100 – 1350 ms  ┐ in parallel
      execute_tool book_hotel       1100 – 1400 ms  ┘
      chat gpt-4o                   1400 – 1500 ms

The times are given to the SDK explicitly (nanoseconds from now), so the spans are real SDK
spans with exact, known durations and the test can check fanout's figures to the millisecond.
Each span is exported as it ends (SimpleSpanProcessor): children arrive before their parent,
one request per span, as from a live agent. With --markers, the optional start markers
(fanout_start_markers.py) are sent too, one request as each span starts.
"""

import sys
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

MS = 1_000_000


def main() -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "travel-planner"}))
    # The endpoint and protocol come from OTEL_EXPORTER_OTLP_* as for any instrumented agent.
    exporter = OTLPSpanExporter()
    if "--markers" in sys.argv[1:]:
        from fanout_start_markers import StartMarkers

        provider.add_span_processor(StartMarkers(exporter))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("fanout-integration")
    t0 = time.time_ns()

    root = tracer.start_span(
        "invoke_agent travel-planner",
        start_time=t0,
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "travel-planner"},
    )
    ctx = trace.set_span_in_context(root)

    def chat(start_ms: int, end_ms: int) -> None:
        span = tracer.start_span(
            "chat gpt-4o",
            context=ctx,
            start_time=t0 + start_ms * MS,
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
        )
        span.end(end_time=t0 + end_ms * MS)

    def tool(name: str, call_id: str, start_ms: int, end_ms: int) -> None:
        span = tracer.start_span(
            f"execute_tool {name}",
            context=ctx,
            start_time=t0 + start_ms * MS,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": name,
                "gen_ai.tool.call.id": call_id,
            },
        )
        span.end(end_time=t0 + end_ms * MS)

    chat(0, 100)
    tool("get_weather", "call_1", 100, 400)
    tool("search_flights", "call_2", 400, 600)
    tool("search_hotels", "call_3", 600, 1000)
    chat(1000, 1100)
    tool("book_flight", "call_4", 1100, 1350)
    tool("book_hotel", "call_5", 1100, 1400)
    chat(1400, 1500)
    root.end(end_time=t0 + 1500 * MS)
    provider.shutdown()


if __name__ == "__main__":
    main()
