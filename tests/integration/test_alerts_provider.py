#!/usr/bin/env python3
"""An alert when a provider's address goes down and when it comes back (docs/alerts.md).

1. The gateway pings its one provider (health checks every 300 ms, down after 2 unanswered
   OPTIONS, T1 50 ms) and sends `provider.*` alerts to a webhook on loopback.
2. The provider is a sipp that answers OPTIONS: while it answers, no alert.
3. The sipp stops (a provider that stops answering OPTIONS): one `provider.down` alert naming
   the provider's address, not one per unanswered ping.
4. A new sipp answers on the same address: one `provider.up` alert.
"""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
from webhook_receiver import WebhookReceiver  # noqa: E402

T1_MS = 50


def wait_for_alert(hook, kind, timeout, sut):
    deadline = time.time() + timeout
    while time.time() < deadline:
        check(sut.alive(), "the gateway exited")
        if any(a["kind"] == kind for a in hook.bodies()):
            return
        time.sleep(0.1)
    check(False, f"no {kind} alert within {timeout}s; alerts: {hook.bodies()}")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    with WebhookReceiver() as hook:
        run(ctx, hook)


def provider(ctx, topo, name):
    return ctx.sipp(name, "uas_options_pong.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, timeout_s=120).start().wait_listening()


def run(ctx, hook):
    topo = harness.Topology()
    address = f"{topo.prov1_host}:{topo.prov1_port}"
    pong = provider(ctx, topo, "provider-pong")
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
                  "transport": "udp", "allow_plaintext": True}]
    sut = ctx.sut(topo, t1_ms=T1_MS, providers=providers, extra={
        "health": {"interval_ms": 300, "failures_before_down": 2},
        "alerts": {"events": ["provider.*"],
                   "webhooks": [{"url": hook.url}]}}).start()

    time.sleep(3)  # several pings answered
    check(pong.received("OPTIONS"), "the provider was never pinged")
    check(not hook.bodies(), f"alerts while the provider answers: {hook.bodies()}")

    pong.stop()
    log("the provider stopped answering OPTIONS")
    wait_for_alert(hook, "provider.down", 30, sut)
    time.sleep(2)  # further unanswered pings must not alert again
    down = [a for a in hook.bodies() if a["kind"] == "provider.down"]
    log(f"down: {down}")
    check(len(down) == 1, f"{len(down)} provider.down alerts, not one: {down}")
    check(down[0]["source"] == address and down[0]["zone"] == "trunk" and
          "carrier-a" in down[0]["reason"], f"the down alert: {down[0]}")

    pong2 = provider(ctx, topo, "provider-pong-again")
    wait_for_alert(hook, "provider.up", 15, sut)
    up = [a for a in hook.bodies() if a["kind"] == "provider.up"]
    log(f"up: {up}")
    check(len(up) == 1 and up[0]["source"] == address, f"the up alert: {up}")
    pong2.stop()
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
