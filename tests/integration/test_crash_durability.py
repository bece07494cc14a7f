#!/usr/bin/env python3
"""`kill -9` during a burst of CDR and ban writes loses nothing that was acknowledged, and the
database opens cleanly afterwards (docs/operations.md "Crashes and what is on disk").

1. 20 short calls (dialled 15551000001) end; two scanners are banned automatically.
2. 12 long calls (15552000002) are answered and stay up (`status` shows them).
3. More than a second later a burst of short calls (15553000003) and of `trunkguard ban add`
   runs; the gateway is killed with SIGKILL in the middle of it.
4. `PRAGMA integrity_check` says ok. Every call of step 1 has its final CDR, every call of
   step 2 a CDR with no end, every `ban add` that exited 0 and both automatic bans are in the
   database; every CDR of step 3 is either in progress or final.
5. The gateway starts again on that database (the dead one's control socket is replaced).
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
import guard_helpers as gh  # noqa: E402
from test_guard_scanners import sweep_invites  # noqa: E402

ENDED, HELD, BURST = "15551000001", "15552000002", "15553000003"
# A CDR write is committed at most the batch window (50 ms) after it was queued; a second is a
# margin for a loaded machine, not a looser promise.
MARGIN_S = 1.0


def cli(gw, *args):
    return subprocess.run([gw.binary, *args], capture_output=True, text=True, timeout=60)


def calls(ctx, topo, name, number, n, rate, duration_ms):
    """A PBX-side UAC dialling `number`; the bursts overlap, so each has its own port."""
    return ctx.sipp(f"pbx-{name}", "uac_basic.xml", local_ip=topo.pbx_host,
                    local_port=harness.free_port(), remote=topo.pbx_side_addr(), service=number,
                    calls=n, rate=rate, duration_ms=duration_ms, timeout_s=120)


def cdrs(gw):
    r = cli(gw, "cdr", "list", "--db", gw.db_path, "--json", "-n", "100000")
    check(r.returncode == 0, f"`cdr list` on the killed gateway's database failed: {r.stderr}")
    return json.loads(r.stdout)


def active_calls(gw):
    r = cli(gw, "status", "-c", gw.config_path, "--json")
    check(r.returncode == 0, f"`status` failed: {r.stderr}")
    return json.loads(r.stdout)["active_calls"]


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("CDRs and bans are trunkguard features")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    gw = ctx.sut(topo, workers=2, extra=gh.guard_extra(topo, guard={
        "scanner": {"max_distinct_users": 5, "window_s": 60}})).start()
    # carrier-a answers every call of every burst until the end of the test.
    carrier = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                       local_port=topo.prov1_port, timeout_s=300)
    carrier.start()
    carrier.wait_listening()

    # 1. Calls that end, and automatic bans.
    uac = calls(ctx, topo, "ended", ENDED, 20, rate=20, duration_ms=100)
    uac.start()
    harness.expect_calls(uac.wait(), 20, what="calls that end before the kill")
    for source in ("127.0.0.60", "127.0.0.61"):
        sweep_invites(source, pub, [f"{100 + i}" for i in range(7)], "Mozilla/5.0")
        gh.wait_banned(ctx, gw, source)
    log("20 calls ended, 2 scanners banned automatically")

    # 2. Calls that are up at the kill.
    held_uac = calls(ctx, topo, "held", HELD, 12, rate=20, duration_ms=600000)
    held_uac.start()
    deadline = time.time() + 20
    while active_calls(gw) < 12:
        check(time.time() < deadline, "the 12 long calls were not all up within 20 s")
        time.sleep(0.2)
    time.sleep(MARGIN_S)
    log("12 long calls are up")

    # 3. A burst of calls and bans, killed in the middle.
    burst_uac = calls(ctx, topo, "burst", BURST, 400, rate=80, duration_ms=0)
    burst_uac.start()

    acknowledged_bans = []
    stop_banning = threading.Event()

    def ban_loop():
        i = 0
        while not stop_banning.is_set():
            network = f"198.51.{100 + i // 250}.{i % 250 + 1}"
            r = cli(gw, "ban", "add", network, "--db", gw.db_path, "--local-root",
                    "--reason", "crash test")
            if r.returncode == 0:
                acknowledged_bans.append(network)
            i += 1

    banner = threading.Thread(target=ban_loop)
    banner.start()
    time.sleep(2.0)
    gw.proc.send_signal(signal.SIGKILL)
    gw.proc.wait(10)
    stop_banning.set()
    banner.join(60)
    killed_pid = gw.proc.pid
    gw.proc = None
    log(f"gateway {killed_pid} killed with SIGKILL mid-burst; {len(acknowledged_bans)} "
        "`ban add` acknowledged")
    for sipp in (burst_uac, held_uac, carrier):
        sipp.stop()

    # 4. The database after the crash.
    r = subprocess.run(["sqlite3", gw.db_path, "PRAGMA integrity_check"], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 0 and r.stdout.strip() == "ok",
          f"integrity_check after kill -9: {r.stdout.strip()!r} {r.stderr.strip()!r}")
    rows = cdrs(gw)
    by_number = {n: [x for x in rows if n in x["to_uri"]] for n in (ENDED, HELD, BURST)}
    ended = by_number[ENDED]
    check(len(ended) == 20 and all(x["end_time"] and x["disposition"] == "answered"
                                   for x in ended),
          f"calls that ended before the kill: {len(ended)} CDRs, "
          f"{[(x['disposition'], x['end_time']) for x in ended]}")
    held = by_number[HELD]
    check(len(held) == 12 and all(x["answer_time"] and not x["end_time"] for x in held),
          f"calls up at the kill: {len(held)} CDRs, "
          f"{[(x['disposition'], x['answer_time'], x['end_time']) for x in held]}")
    burst = by_number[BURST]
    for x in burst:
        check(x["end_time"] or x["disposition"] in ("in-progress", "answered"),
              f"a burst CDR is neither in progress nor final: {x}")
    check(len(burst) > 0, "no CDR of the burst reached the disk before the kill (kill too early)")
    banned = gh.banned_networks(ctx, gw)
    missing = [n for n in acknowledged_bans if f"{n}/32" not in banned and n not in banned]
    check(not missing, f"acknowledged `ban add` lost by the kill: {missing[:10]}")
    check(len(acknowledged_bans) > 0, "no `ban add` finished before the kill")
    for source in ("127.0.0.60", "127.0.0.61"):
        check(any(n.startswith(source) for n in banned),
              f"the automatic ban of {source} was lost by the kill")
    log(f"integrity ok; {len(ended)} final + {len(held)} open + {len(burst)} burst CDRs; "
        f"{len(acknowledged_bans)} manual and 2 automatic bans kept")

    # 5. The gateway starts again on the same database.
    gw.start()
    check(active_calls(gw) == 0, "calls reported active after the restart")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
