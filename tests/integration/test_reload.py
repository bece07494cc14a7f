#!/usr/bin/env python3
"""SIGHUP reloads the config atomically; a bad config is refused and the old one keeps running.

1. Calls go to carrier-a (priority 10).
2. The config file is replaced with one that has an unknown key: SIGHUP is refused (logged
   with file:line), the gateway keeps running and calls still reach carrier-a.
3. The config is replaced with one where carrier-b has the better priority: after SIGHUP new
   calls reach carrier-b, and the reload line names trunk.providers as applied with nothing
   needing a restart.
4. A TCP setting and a B2BUA setting change: the reload line says tcp.idle_timeout_s needs a
   restart and b2bua was applied (and is not among the keys that need a restart).
"""
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def calls_to(ctx, topo, provider, host, port, calls):
    uas = ctx.sipp(provider, "uas_basic.xml", local_ip=host, local_port=port, calls=calls,
                   timeout_s=60)
    uac = ctx.sipp(f"pbx-to-{provider}", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=calls, rate=5, duration_ms=100, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    harness.expect_calls(uac_r, calls, what=f"PBX calls answered by {provider}")
    harness.expect_calls(uas_r, calls, what=f"{provider} calls")


def wait_for_log(path, needle, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            if needle in f.read():
                return
        time.sleep(0.1)
    raise harness.TestFailure(f"{needle!r} never appeared in {path}")


def reload_line(path, number, timeout=5.0):
    """The `number`-th (1-based) "configuration reloaded" log line, once it is written."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            lines = [line for line in f if "configuration reloaded" in line]
        if len(lines) >= number:
            return lines[number - 1]
        time.sleep(0.1)
    raise harness.TestFailure(f"reload line #{number} never appeared in {path}")


def listed_after(line, label):
    """The keys the reload line lists after `label` ("applied:", "needs a restart:")."""
    if label not in line:
        return []
    rest = line.split(label, 1)[1]
    rest = rest.split(";", 1)[0].split('"', 1)[0]
    return [key.strip() for key in rest.split(",") if key.strip()]


def test(ctx):
    topo = harness.Topology()
    gw = ctx.sut(topo).start()
    if not ctx.b2bua:
        ctx.skip("SIGHUP reload is a trunkguard feature")
        return
    calls_to(ctx, topo, "carrier-a", topo.prov1_host, topo.prov1_port, 3)

    with open(gw.config_path) as f:
        good = f.read()
    with open(gw.config_path, "w") as f:
        f.write(good + "\nenfroce_everything: true\n")
    os.kill(gw.pid, signal.SIGHUP)
    wait_for_log(gw.stderr_path, "reload refused")
    wait_for_log(gw.stderr_path, "enfroce_everything")
    check(gw.alive(), "the gateway died on a bad config reload")
    log("bad config refused, gateway still running")
    calls_to(ctx, topo, "carrier-a", topo.prov1_host, topo.prov1_port, 2)

    gw.config_args["providers"] = [
        {"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
         "transport": "udp", "priority": 20, "allow_plaintext": True},
        {"name": "carrier-b", "host": topo.prov2_host, "port": topo.prov2_port,
         "transport": "udp", "priority": 10, "allow_plaintext": True},
    ]
    gw.write_config()
    os.kill(gw.pid, signal.SIGHUP)
    line = reload_line(gw.stderr_path, 1)
    check(listed_after(line, "applied:") == ["trunk.providers"],
          f"the reload line does not say trunk.providers was applied: {line!r}")
    check("needs a restart" not in line, f"a live change was said to need a restart: {line!r}")
    calls_to(ctx, topo, "carrier-b", topo.prov2_host, topo.prov2_port, 3)
    log("after reload new calls go to carrier-b")

    gw.config_args["extra"] = {"tcp": {"idle_timeout_s": 120},
                               "b2bua": {"user_agent": "trunkguard-reloaded"}}
    gw.write_config()
    os.kill(gw.pid, signal.SIGHUP)
    line = reload_line(gw.stderr_path, 2)
    restart = listed_after(line, "needs a restart:")
    check("tcp.idle_timeout_s" in restart,
          f"no 'needs a restart' warning for tcp.idle_timeout_s: {line!r}")
    check("b2bua" in listed_after(line, "applied:") and
          not any(key.startswith("b2bua") for key in restart),
          f"b2bua applies live but the reload line says otherwise: {line!r}")
    check(gw.alive(), "the gateway died on reload")
    log(f"reload result logged: {line.strip()!r}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
