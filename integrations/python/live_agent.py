"""A live agent run for `fanout watch`, in real time: the travel planner of agent_trace.py with
real sleeps, one slow tool, and (with --markers) the optional start markers, so the running
tools show as they run. Spans are exported as they end (SimpleSpanProcessor).

    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \\
        python live_agent.py [--markers] [--slow SECONDS] [--runs N]

Turn 1 runs three tools one after another (what fanout flags), turn 2 two tools at once, one of
them slow (SECONDS, default 4): between the fast tool's end and the slow one's, turn 2 is open
("waiting for tools"); with --slow beyond `fanout watch --hang-after`, it is flagged.
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from fanout_start_markers import StartMarkers


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markers", action="store_true", help="send start markers too")
    ap.add_argument("--slow", type=float, default=4.0, help="the slow tool's seconds")
    ap.add_argument("--runs", type=int, default=1, help="agent runs (traces), one after another")
    args = ap.parse_args()
    provider = TracerProvider(resource=Resource.create({"service.name": "travel-planner"}))
    exporter = OTLPSpanExporter()
    if args.markers:
        provider.add_span_processor(StartMarkers(exporter))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("fanout-live-agent")

    def chat(seconds: float) -> None:
        with tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"},
        ):
            time.sleep(seconds)

    def tool(name: str, seconds: float, ctx=None) -> None:
        token = context.attach(ctx) if ctx is not None else None
        try:
            with tracer.start_as_current_span(
                f"execute_tool {name}",
                attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name},
            ):
                time.sleep(seconds)
        finally:
            if token is not None:
                context.detach(token)

    for _ in range(args.runs):
        with tracer.start_as_current_span(
            "invoke_agent travel-planner",
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "travel-planner"},
        ):
            chat(0.5)
            tool("get_weather", 1.0)
            tool("search_flights", 0.8)
            tool("search_hotels", 1.2)
            chat(0.5)
            ctx = context.get_current()
            with ThreadPoolExecutor(2) as pool:
                pool.submit(tool, "book_flight", 0.6, ctx)
                pool.submit(tool, "book_hotel", args.slow, ctx)
            chat(0.5)
    provider.shutdown()


if __name__ == "__main__":
    main()
