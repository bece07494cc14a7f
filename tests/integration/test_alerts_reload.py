#!/usr/bin/env python3
"""Alert settings change on SIGHUP, without a restart (docs/alerts.md, configuration.md Reload).

1. The gateway starts with `alerts.events: [auth.lockout]` and a webhook on loopback; the
   scanner filter runs in shadow mode, so every probe is a security event (scanner.user_agent).
   Probes from one source: no alert (the rule does not match).
2. The file's `events` becomes `["scanner.*"]`; SIGHUP. The reload line lists `alerts` as
   applied, not as needing a restart; probes from a second source alert.
3. The `alerts` section is taken out; SIGHUP. Probes from a third source: no alert.
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
from harness import check, log
from webhook_receiver import WebhookReceiver  # noqa: E402


def sources_alerted(hook):
    return {b["source"] for b in hook.bodies()}


def probe(addr, source, n=5):
    for i in range(n):
        gh.scanner_options(addr, source, i)
        time.sleep(0.01)


def reload_line(gw, number, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = []
        for path in (gw.stdout_path, gw.stderr_path):
            with open(path, errors="replace") as f:
                lines += [line for line in f if "configuration reloaded" in line]
        if len(lines) >= number:
            return lines[number - 1]
        time.sleep(0.1)
    raise harness.TestFailure(f"reload line #{number} never appeared")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    with WebhookReceiver() as hook:
        run(ctx, hook)


def run(ctx, hook):
    topo = gh.public_topology()
    guard = {"scanner": {"enforce": False}, "rate_limit": {"enabled": False}}

    def extra(alerts):
        return gh.guard_extra(topo, guard=guard, more={"alerts": alerts})

    webhooks = [{"url": hook.url}]
    gw = ctx.sut(topo, extra=extra({"events": ["auth.lockout"], "webhooks": webhooks})).start()
    addr = (topo.host, topo.public_side)

    probe(addr, "127.0.0.81")
    time.sleep(1.5)
    check(not sources_alerted(hook), f"alerts before the rule matched: {hook.bodies()}")

    gw.config_args["extra"] = extra({"events": ["scanner.*"], "webhooks": webhooks})
    gw.write_config()
    os.kill(gw.pid, signal.SIGHUP)
    line = reload_line(gw, 1)
    log(f"reload: {line.strip()[:300]}")
    check("applied: alerts" in line and "needs a restart" not in line,
          f"the reload line should list alerts as applied: {line}")
    deadline = time.time() + 10
    while "127.0.0.82" not in sources_alerted(hook) and time.time() < deadline:
        probe(addr, "127.0.0.82", n=1)
        time.sleep(0.3)
    check("127.0.0.82" in sources_alerted(hook), "no alert after the reload turned scanner.* on")

    gw.config_args["extra"] = extra(None)
    gw.write_config()
    os.kill(gw.pid, signal.SIGHUP)
    reload_line(gw, 2)
    time.sleep(0.5)  # the alert thread adopts the settings at its next turn (200 ms at most)
    probe(addr, "127.0.0.83")
    time.sleep(1.5)
    check("127.0.0.83" not in sources_alerted(hook), "an alert after the section was taken out")
    check("127.0.0.81" not in sources_alerted(hook), "the first source alerted late")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
