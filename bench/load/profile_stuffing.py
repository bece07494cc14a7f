#!/usr/bin/env python3
"""Where the memory of a credential-stuffing run goes (issue 20).

Starts the gateway as bench/load/run_auth.py does (same config, same stuffing), optionally
under heaptrack, prints its RSS before, right after and --settle s after the run, then after a
malloc_trim(0) called through gdb, and SIGKILLs it, so that heaptrack's "leaked" view is what
was live at that moment:

    python3 bench/load/profile_stuffing.py --failures 100000 --sources 20000 --heaptrack
    heaptrack_print -f OUT/ht.zst --print-peaks 1 --print-leaks 1 -s 0
"""
import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import run_auth as ra  # noqa: E402
harness, gh = ra.harness, ra.gh

p = argparse.ArgumentParser()
p.add_argument("--binary", default=os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "build", "trunkguard"))
p.add_argument("--heaptrack", action="store_true")
p.add_argument("--failures", type=int, default=100000)
p.add_argument("--sources", type=int, default=20000)
p.add_argument("--settle", type=float, default=40)
p.add_argument("--out", required=True, help="working directory (kept: logs, heaptrack data)")
p.add_argument("--env", action="append", default=[],
               help="NAME=VALUE for the gateway, e.g. MALLOC_ARENA_MAX=1")
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
for kv in a.env:
    k, v = kv.split("=", 1)
    os.environ[k] = v
wrapper = os.path.join(a.out, "wrap.sh")
with open(wrapper, "w") as f:
    if a.heaptrack:
        f.write(f'#!/bin/sh\nexec heaptrack -o {a.out}/ht {a.binary} "$@"\n')
    else:
        f.write(f'#!/bin/sh\nexec {a.binary} "$@"\n')
os.chmod(wrapper, 0o755)
workdir = a.out
def tg_pid(pid):
    for c in ra.children(pid):
        try:
            if open(f"/proc/{c}/comm").read().strip().startswith("trunkguard"):
                return c
        except OSError:
            pass
    return pid
def gdb_call(pid, expr):
    """Calls expr in the gateway (malloc_stats() prints to its stderr log)."""
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", f"call {expr}"],
                   capture_output=True, text=True)
def status(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(("VmRSS", "RssAnon", "Threads")):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out
try:
    topo = gh.public_topology()
    guard = {"scanner": {"enabled": False}, "rate_limit": {"enabled": False}}
    gw = harness.Gateway(wrapper, workdir, topo, name="stuffing", log_level="warn",
                         db_path=os.path.join(workdir, "stuffing.db"),
                         extra=gh.phones_extra(topo, accounts={"algorithms": ["MD5"]}, guard=guard))
    ctx = type("Ctx", (), {"workdir": workdir, "binary": a.binary})()
    gh.add_account(ctx, gw, ra.USER)
    gw.start(ready_timeout=60)
    time.sleep(2)
    pid = tg_pid(gw.pid)
    print("pid", pid, "before", status(pid), flush=True)
    sent, took = ra.stuffing((topo.host, topo.public_side), a.failures, a.sources)
    time.sleep(2)
    print(f"sent {sent} in {took:.0f}s; after", status(pid), flush=True)
    gdb_call(pid, "(void)malloc_stats()")
    time.sleep(a.settle)
    print(f"settled {a.settle}s", status(pid), flush=True)
    gdb_call(pid, "(void)malloc_stats()")
    gdb_call(pid, "(int)malloc_trim(0)")
    print("after manual malloc_trim", status(pid), flush=True)
    os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    gw.proc.wait(120)
finally:
    harness.cleanup_processes()
