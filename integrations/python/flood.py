"""10,000 spans/s for 5 s: 100 requests a second of 100 tool spans each (JSON), 10 spans per
turn under one chat span; retries on 429 after Retry-After. Prints what was sent and refused."""
import json, sys, time, threading, urllib.request, urllib.error
port = int(sys.argv[1]); seconds = int(sys.argv[2]); per_req = 100; rate = 100
url = f"http://127.0.0.1:{port}/v1/traces"
T0 = 1_767_225_600_000_000_000
sent = 0; refused = 0; lock = threading.Lock()
def body(r):
    spans = []
    for k in range(per_req):
        n = r * per_req + k
        if k % 11 == 0:
            op, name = "chat", "chat gpt-4o"
        else:
            op, name = "execute_tool", f"execute_tool t{k}"
        spans.append({"traceId": f"{r % 50 + 1:032x}", "spanId": f"{n + 1:016x}", "parentSpanId": "ffffffffffffffff",
            "name": name, "startTimeUnixNano": str(T0 + n * 1_000_000), "endTimeUnixNano": str(T0 + n * 1_000_000 + 900_000),
            "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": op}}]})
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()
def send(r):
    global sent, refused
    data = body(r)
    while True:
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req).read(); break
        except urllib.error.HTTPError as e:
            if e.code == 429:
                with lock: refused += 1
                time.sleep(float(e.headers.get("Retry-After", "1"))); continue
            raise
    with lock: sent += per_req
start = time.time(); threads = []
for r in range(rate * seconds):
    due = start + r / rate
    d = due - time.time()
    if d > 0: time.sleep(d)
    t = threading.Thread(target=send, args=(r,)); t.start(); threads.append(t)
for t in threads: t.join()
print(f"sent {sent} spans in {time.time() - start:.2f} s; {refused} requests answered 429 and retried")
