#!/usr/bin/env python3
"""Alerts to a webhook and to syslog (docs/alerts.md), with receivers on loopback.

1. The gateway's `alerts:` names a webhook (with an HMAC secret file) and a syslog UDP socket,
   both served here on loopback; the scanner filter runs in shadow mode, so every probe of a
   flood is a security event (scanner.user_agent).
2. A flood of 40 probes from one source gives one alert at once (count 1) and, when the dedup
   window ends, one summary alert with the count of the repeats (39): not 40 alerts.
3. Every webhook body's X-Trunkguard-Signature is HMAC-SHA256 of the body under the secret.
4. The receiver fails the first delivery with a 500: it comes again (same delivery id) after
   the backoff.
5. The syslog receiver gets RFC 5424 lines for the same alerts.
"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
from harness import check, log

SECRET = "alert-test-secret-5f2e"
SOURCE = "127.0.0.77"


class Hook(http.server.BaseHTTPRequestHandler):
    deliveries = []  # (delivery id, body, signature ok, status answered)
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Trunkguard-Signature", ""))
        with Hook.lock:
            first = not Hook.deliveries
            status = 500 if first else 200
            Hook.deliveries.append((self.headers.get("X-Trunkguard-Delivery"), body, ok, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog.bind(("127.0.0.1", 0))
    syslog.settimeout(0.2)
    try:
        run(ctx, hook.server_address[1], syslog)
    finally:
        hook.shutdown()
        hook.server_close()
        syslog.close()


def run(ctx, hook_port, syslog):
    topo = gh.public_topology()
    secret_file = os.path.join(ctx.workdir, "webhook.secret")
    with open(secret_file, "w") as f:
        f.write(SECRET + "\n")
    os.chmod(secret_file, 0o600)
    alerts = {"events": ["scanner.*"], "dedup_s": 3, "retries": 3, "retry_base_ms": 300,
              "webhooks": [{"url": f"http://127.0.0.1:{hook_port}/hook",
                            "secret_file": secret_file}],
              "syslog": [{"udp": f"127.0.0.1:{syslog.getsockname()[1]}"}]}
    gw = ctx.sut(topo, extra=gh.guard_extra(topo, guard={"scanner": {"enforce": False},
                                                          "rate_limit": {"enabled": False}},
                                            more={"alerts": alerts})).start()
    addr = (topo.host, topo.public_side)
    for n in range(40):
        gh.scanner_options(addr, SOURCE, n)
        time.sleep(0.01)

    lines = []
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            lines.append(syslog.recv(65535).decode())
        except socket.timeout:
            pass
        with Hook.lock:
            done = [d for d in Hook.deliveries if d[3] == 200]
        if len(done) >= 2 and len(lines) >= 2:
            break
    with Hook.lock:
        deliveries = list(Hook.deliveries)
    gw.stop()

    check(deliveries, "no webhook delivery arrived")
    check(all(d[2] for d in deliveries), "a webhook body's signature did not verify")
    check(deliveries[0][3] == 500 and len(deliveries) >= 2 and
          deliveries[1][0] == deliveries[0][0],
          f"the failed first delivery was not retried with its id: {[d[0] for d in deliveries]}")
    alerts_seen = {}
    for delivery_id, body, _, status in deliveries:
        if status == 200:
            alerts_seen[delivery_id] = json.loads(body)
    bodies = list(alerts_seen.values())
    log(f"webhook alerts: {[(b['kind'], b['count'], b['summary']) for b in bodies]}")
    check(len(bodies) == 2, f"40 probes gave {len(bodies)} alerts, not one plus a summary")
    first, summary = sorted(bodies, key=lambda b: b["summary"])
    check(first["kind"] == "scanner.user_agent" and first["source"] == SOURCE and
          first["count"] == 1, f"the first alert: {first}")
    check(summary["summary"] and summary["count"] == 39, f"the summary: {summary}")
    check(len(lines) >= 2, f"syslog lines: {lines}")
    check(lines[0].startswith("<84>1 ") and " trunkguard " in lines[0] and
          'rule="scanner.user_agent"' in lines[0] and f'source="{SOURCE}"' in lines[0],
          f"not an RFC 5424 alert line: {lines[0]!r}")
    check(any('count="39"' in line for line in lines), f"no summary in syslog: {lines}")


if __name__ == "__main__":
    harness.run(test)
