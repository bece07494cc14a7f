#!/usr/bin/env python3
"""Type=notify as systemd sees it, with a stand-in for its notification socket.

1. trunkguard started with NOTIFY_SOCKET and WATCHDOG_USEC sends READY=1 once, and by then its
   listeners are bound: the PBX side answers OPTIONS at once.
2. WATCHDOG=1 keep-alives follow at about half the watchdog interval.
3. They come from the event loop: a stopped process (SIGSTOP, as good as a hung loop) sends
   none, and they resume when it continues.
"""
import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

WATCHDOG_S = 0.4


def receive(sock, seconds):
    messages = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            messages.append(sock.recv(512).decode())
        except socket.timeout:
            break
    return messages


def test(ctx):
    topo = harness.Topology()
    gw = ctx.sut(topo)
    if not ctx.b2bua:
        ctx.skip("sd_notify is a trunkguard feature")
        return
    path = os.path.join(ctx.workdir, "notify.sock")
    manager = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    manager.bind(path)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(int(WATCHDOG_S * 1e6)))
        env.pop("WATCHDOG_PID", None)
        proc = harness.spawn([gw.binary, "run", "--config", gw.write_config()], "gateway",
                             gw.stdout_path, gw.stderr_path, cwd=ctx.workdir, env=env)
        gw.proc = proc
        manager.settimeout(10.0)
        try:
            first = manager.recv(512).decode()
        except socket.timeout:
            first = None
        check(first is not None and first.startswith("READY=1\nSTATUS="),
              f"expected READY=1 first, got {first!r}")
        # READY=1 means listening: no grace period for the PBX side to come up.
        harness.wait_for_options_200(topo.pbx_side_addr(), 1.0, proc, "trunkguard")
        log(f"ready: {first!r}; the pbx listener answers")

        keep_alives = [m for m in receive(manager, 2.0) if m == "WATCHDOG=1"]
        # 2 s at one per 0.2 s: about 10; a loaded machine may delay some, never add any.
        check(5 <= len(keep_alives) <= 12, f"{len(keep_alives)} keep-alives in 2 s, expected ~10")
        log(f"{len(keep_alives)} keep-alives in 2 s (WatchdogSec {WATCHDOG_S}s)")

        os.kill(proc.pid, signal.SIGSTOP)
        receive(manager, 0.1)  # what was already queued
        silent = receive(manager, 1.0)
        os.kill(proc.pid, signal.SIGCONT)
        check(silent == [], f"a stopped gateway still sent {silent!r}")
        resumed = [m for m in receive(manager, 1.0) if m == "WATCHDOG=1"]
        check(len(resumed) >= 2, f"keep-alives did not resume after SIGCONT: {resumed!r}")
        log("no keep-alives while stopped; they resume after SIGCONT")
    finally:
        manager.close()


if __name__ == "__main__":
    harness.run(test)
