#!/usr/bin/env python3
"""An alert when a provider's address goes down and when it comes back (docs/alerts.md).

1. The gateway pings its one provider (health checks every 300 ms, down after 2 unanswered
   OPTIONS, T1 50 ms) and sends `provider.*` alerts to a webhook on loopback.
2. The provider is a sipp that answers OPTIONS: while it answers, no alert.
3. The sipp stops (a provider that stops answering OPTIONS): one `provider.down` alert naming
   the provider's address, not one per unanswered ping.
4. A new sipp answers on the same address: one `provider.up` alert.
"""
import http.server
import json
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

T1_MS = 50


class Hook(http.server.BaseHTTPRequestHandler):
    bodies = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with Hook.lock:
            Hook.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def alerts():
    with Hook.lock:
        return list(Hook.bodies)


def wait_for_alert(kind, timeout, sut):
    deadline = time.time() + timeout
    while time.time() < deadline:
        check(sut.alive(), "the gateway exited")
        if any(a["kind"] == kind for a in alerts()):
            return
        time.sleep(0.1)
    check(False, f"no {kind} alert within {timeout}s; alerts: {alerts()}")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        run(ctx, hook.server_address[1])
    finally:
        hook.shutdown()
        hook.server_close()


def provider(ctx, topo, name):
    return ctx.sipp(name, "uas_options_pong.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, timeout_s=120).start().wait_listening()


def run(ctx, hook_port):
    topo = harness.Topology()
    address = f"{topo.prov1_host}:{topo.prov1_port}"
    pong = provider(ctx, topo, "provider-pong")
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
                  "transport": "udp", "allow_plaintext": True}]
    sut = ctx.sut(topo, t1_ms=T1_MS, providers=providers, extra={
        "health": {"interval_ms": 300, "failures_before_down": 2},
        "alerts": {"events": ["provider.*"],
                   "webhooks": [{"url": f"http://127.0.0.1:{hook_port}/hook"}]}}).start()

    time.sleep(3)  # several pings answered
    check(pong.received("OPTIONS"), "the provider was never pinged")
    check(not alerts(), f"alerts while the provider answers: {alerts()}")

    pong.stop()
    log("the provider stopped answering OPTIONS")
    wait_for_alert("provider.down", 30, sut)
    time.sleep(2)  # further unanswered pings must not alert again
    down = [a for a in alerts() if a["kind"] == "provider.down"]
    log(f"down: {down}")
    check(len(down) == 1, f"{len(down)} provider.down alerts, not one: {down}")
    check(down[0]["source"] == address and down[0]["zone"] == "trunk" and
          "carrier-a" in down[0]["reason"], f"the down alert: {down[0]}")

    pong2 = provider(ctx, topo, "provider-pong-again")
    wait_for_alert("provider.up", 15, sut)
    up = [a for a in alerts() if a["kind"] == "provider.up"]
    log(f"up: {up}")
    check(len(up) == 1 and up[0]["source"] == address, f"the up alert: {up}")
    pong2.stop()
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
