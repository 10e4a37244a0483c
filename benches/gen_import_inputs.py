#!/usr/bin/env python3
"""Writes the import inputs BENCHMARKS.md section 8 times, into DIR (default /tmp).

otel-chain-100k.json  50,000 wrapper spans in one parent chain, each with a tool span under it
                      (the worst case for an ancestor walk per span)
otel-turns-100k.json  one agent span, then turns of a chat span and three tool spans
otel-turns-400k.json  the same with 400,000 spans (191.6 MB: above the 64 MiB input cap)
anthropic-100k.json   one response with 100,000 tool_use blocks of 50 tools
openai-20k.json       one completion with 20,000 tool_calls
chrome-100k.json      100,000 complete (X) events on 8 threads
"""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
T = "0af7651916cd43dd8448eb211c80319c"
BASE = 1_767_225_600_000_000_000


def attr(k, v):
    return {"key": k, "value": {"stringValue": v}}


def export(spans):
    return {"resourceSpans": [{"resource": {"attributes": [attr("service.name", "agent")]},
                               "scopeSpans": [{"scope": {"name": "x"}, "spans": spans}]}]}


def chain(n):
    spans = []
    for i in range(n // 2):
        spans.append({"traceId": T, "spanId": f"{i + 1:016x}", "parentSpanId": f"{i:016x}" if i else "",
                      "name": "step", "kind": 1, "startTimeUnixNano": str(BASE + i * 1000),
                      "endTimeUnixNano": str(BASE + (i + 1) * 1000 + 10**7)})
        spans.append({"traceId": T, "spanId": f"{10**9 + i:016x}", "parentSpanId": f"{i + 1:016x}",
                      "name": "execute_tool get_weather", "kind": 1,
                      "startTimeUnixNano": str(BASE + i * 1000), "endTimeUnixNano": str(BASE + i * 1000 + 500),
                      "attributes": [attr("gen_ai.operation.name", "execute_tool"),
                                     attr("gen_ai.tool.name", "get_weather")]})
    return export(spans)


def turns(n):
    spans = [{"traceId": T, "spanId": f"{1:016x}", "name": "invoke_agent",
              "startTimeUnixNano": str(BASE), "endTimeUnixNano": str(BASE + n * 10**6)}]
    t = BASE
    for i in range(n - 1):
        chat = i % 4 == 0
        spans.append({"traceId": T, "spanId": f"{i + 2:016x}", "parentSpanId": f"{1:016x}",
                      "name": "chat gpt-4o" if chat else "execute_tool search", "kind": 3,
                      "startTimeUnixNano": str(t), "endTimeUnixNano": str(t + 900_000),
                      "attributes": [attr("gen_ai.operation.name", "chat" if chat else "execute_tool"),
                                     attr("gen_ai.tool.name", "search"), attr("gen_ai.request.model", "gpt-4o")],
                      "status": {}})
        if chat or i % 4 == 3:
            t += 1_000_000
    return export(spans)


files = {
    "otel-chain-100k.json": lambda: chain(100_000),
    "otel-turns-100k.json": lambda: turns(100_000),
    "otel-turns-400k.json": lambda: turns(400_000),
    "anthropic-100k.json": lambda: {"content": [{"type": "tool_use", "id": f"t{i}", "name": f"tool_{i % 50}",
                                                 "input": {"q": i}} for i in range(100_000)]},
    "openai-20k.json": lambda: {"choices": [{"message": {"role": "assistant", "tool_calls": [
        {"id": f"c{i}", "type": "function", "function": {"name": f"tool_{i % 50}", "arguments": "{}"}}
        for i in range(20_000)]}}]},
    "chrome-100k.json": lambda: {"traceEvents": [{"name": f"op{i}", "ph": "X", "ts": i * 10, "dur": 8, "pid": 1,
                                                  "tid": i % 8} for i in range(100_000)]},
}
for name, make in files.items():
    with open(os.path.join(out, name), "w") as f:
        json.dump(make(), f)
    print(name)
