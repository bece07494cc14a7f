#!/usr/bin/env python3
"""`trunkguard status` asks the running gateway through its local control socket.

1. With the gateway running, `status --json` answers: version, workers, listeners, providers,
   counters (one call made; each guard filter its own), bans, and no reload yet; the socket is
   a Unix socket, mode 0660.
2. The text form names the listeners and providers.
3. A SIGHUP with tcp.idle_timeout_s changed: `status` shows the last reload, with the key
   among those that need a restart.
4. Once the gateway stopped, `status` says no gateway is running (exit 1).
"""
import json
import os
import signal
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def status(gw, *extra):
    return subprocess.run([gw.binary, "status", "-c", gw.config_path, *extra],
                          capture_output=True, text=True, timeout=30)


def status_json(gw):
    r = status(gw, "--json")
    check(r.returncode == 0, f"`status --json` failed ({r.returncode}): {r.stderr.strip()}")
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError as e:
        raise harness.TestFailure(f"`status --json` printed invalid JSON ({e}): {r.stdout!r}")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("`trunkguard status` is a trunkguard feature")
        return
    topo = harness.Topology()
    gw = ctx.sut(topo, workers=2).start()

    socket_path = gw.db_path + ".ctl"
    mode = os.stat(socket_path).st_mode
    check(stat.S_ISSOCK(mode), f"{socket_path} is not a socket")
    check(stat.S_IMODE(mode) == 0o660, f"control socket mode {oct(stat.S_IMODE(mode))}, "
          "expected 0660")

    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=1, rate=1,
                   duration_ms=100, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    harness.expect_calls(uac_r, 1, what="the PBX call")

    s = status_json(gw)
    check(s["version"].startswith("trunkguard "), f"version: {s['version']!r}")
    check(s["workers"] == 2 and s["workers_answered"] == 2, f"workers: {s['workers']}, "
          f"answered {s['workers_answered']}")
    check(isinstance(s["uptime_s"], int) and s["uptime_s"] >= 0, f"uptime_s: {s['uptime_s']}")
    addresses = {(l["zone"], l["transport"], l["address"]) for l in s["listeners"]}
    for expected in (("pbx", "udp", f"{topo.host}:{topo.pbx_side}"),
                     ("trunk", "udp", f"{topo.host}:{topo.trunk_side}")):
        check(expected in addresses, f"listener {expected} missing from {addresses}")
    check([p["name"] for p in s["providers"]] == ["carrier-a", "carrier-b"],
          f"providers: {s['providers']}")
    check(s["active_calls"] == 0, f"active_calls {s['active_calls']} after the call ended")
    check(s["counters"]["calls"]["callsStarted"] >= 1,
          f"the call is not counted: {s['counters']['calls']}")
    filters = s["counters"]["filters"]
    check(set(filters) == {"overload", "scanner", "ratelimit"}, f"filters: {filters}")
    # The call's INVITE and the rest passed every enabled filter of the chain, one by one.
    check(filters["scanner"]["passed"] >= 1 and filters["scanner"]["blocked"] == 0,
          f"the scanner's own counters: {filters['scanner']}")
    check(s["bans"] == 0, f"bans: {s['bans']}")
    check(s["last_reload"] is None, f"last_reload before any SIGHUP: {s['last_reload']}")
    log(f"status --json: {len(s['listeners'])} listeners, {s['counters']['calls']['callsStarted']}"
        " call(s) counted")

    text = status(gw)
    check(text.returncode == 0, f"`status` failed: {text.stderr.strip()}")
    for needle in ("worker(s)", f"{topo.host}:{topo.pbx_side}", "carrier-a",
                   "filters.scanner.passed", "last reload: none since the start"):
        check(needle in text.stdout, f"{needle!r} not in `status` text:\n{text.stdout}")

    gw.config_args["extra"] = {"tcp": {"idle_timeout_s": 120}}
    gw.write_config()
    os.kill(gw.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while True:
        s = status_json(gw)
        if s["last_reload"] is not None or time.time() > deadline:
            break
        time.sleep(0.1)
    reload = s["last_reload"]
    check(reload is not None, "no last_reload in the status 10 s after SIGHUP")
    check(not reload["refused"], f"the reload was refused: {reload}")
    check("tcp.idle_timeout_s" in reload["needs_restart"],
          f"tcp.idle_timeout_s not among the keys needing a restart: {reload}")
    text = status(gw)
    check("restart the gateway to apply: tcp.idle_timeout_s" in text.stdout,
          f"the text form does not name the key:\n{text.stdout}")
    log(f"last reload: {reload['summary']!r}")

    gw.stop()
    check(not os.path.exists(socket_path), "the control socket outlived a clean stop")
    r = status(gw)
    check(r.returncode == 1, f"`status` with no gateway exited {r.returncode}, expected 1")
    check(f"no gateway is running: cannot connect to {socket_path}" in r.stderr,
          f"unclear message with no gateway: {r.stderr!r}")


if __name__ == "__main__":
    harness.run(test)
