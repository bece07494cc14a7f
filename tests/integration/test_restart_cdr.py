#!/usr/bin/env python3
"""CDRs survive a restart.

1. 10 calls PBX -> carrier-a; wait until their 10 CDRs are final (answered).
2. One long call is up when the gateway gets SIGTERM: it must exit 0 within 10 s; the call's
   CDR row must exist (whatever disposition the shutdown gives it).
3. Start the gateway again on the same database: the 10 earlier CDRs are there, unchanged,
   and the interrupted call's row too.
4. 5 more calls: 16 CDRs in all with distinct call_uuids; the earlier rows still unchanged.
"""
import time

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def calls(ctx, topo, name, n):
    uas = ctx.sipp(f"carrier-a-{name}", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=n, timeout_s=60)
    uac = ctx.sipp(f"pbx-{name}", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=n, rate=10, duration_ms=300, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    harness.expect_calls(uac_r, n, what=f"{name}: PBX side")
    harness.expect_calls(uas_r, n, what=f"{name}: provider side")
    return {m.call_id for m in uac.sent("INVITE")}


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()
    first = calls(ctx, topo, "before", 10)
    before = {}
    if ctx.b2bua:
        rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 10 and all(
            r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
            what="10 final CDRs")
        before = {r["call_uuid"]: r for r in rows}
        check({r.get("a_call_id") for r in rows} == first, "CDRs do not match the 10 calls")

    # A call in progress while the gateway stops.
    uas = ctx.sipp("carrier-a-long", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=60)
    uac = ctx.sipp("pbx-long", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=1, duration_ms=30000, timeout_s=60)
    uas.start()
    uas.wait_listening()
    uac.start()
    deadline = time.time() + 10
    while time.time() < deadline and not uas.received("ACK"):
        time.sleep(0.2)
    check(uas.received("ACK"), "the long call was not established")
    long_call = {m.call_id for m in uac.sent("INVITE")}
    started = time.time()
    sut.stop(timeout=10)  # SIGTERM: must exit 0 within 10 s
    log(f"stopped with SIGTERM in {time.time() - started:.1f}s during a call")
    harness.kill_process(uac.proc)
    harness.kill_process(uas.proc)
    uac.proc.wait(5)
    uas.proc.wait(5)

    sut.start()
    if ctx.b2bua:
        rows = sut.cdr_list()
        after = {r["call_uuid"]: r for r in rows}
        for uid, row in before.items():
            check(after.get(uid) == row,
                  f"CDR {uid} changed across the restart:\n  before {row}\n  after  "
                  f"{after.get(uid)}")
        interrupted = [r for r in rows if r.get("a_call_id") in long_call]
        check(len(interrupted) == 1, "the call in progress at SIGTERM has no CDR row after the "
              "restart")
        log(f"interrupted call's CDR: disposition {interrupted[0].get('disposition')!r}, "
            f"end_reason {interrupted[0].get('end_reason')!r}")

    second = calls(ctx, topo, "after", 5)
    if not ctx.b2bua:
        ctx.skip("CDR persistence")
        return
    rows = sut.wait_for_cdrs(lambda rs: sum(r.get("a_call_id") in second and
                                            r.get("disposition") == "answered" and
                                            bool(r.get("end_time")) for r in rs) == 5,
                             timeout=15, what="the 5 new final CDRs")
    check(len(rows) == 16, f"expected 16 CDRs (10 + 1 interrupted + 5), got {len(rows)}")
    check(len({r.get("call_uuid") for r in rows}) == 16, "call_uuid repeated after restart")
    after = {r["call_uuid"]: r for r in rows}
    for uid, row in before.items():
        check(after.get(uid) == row, f"CDR {uid} changed after new calls")
    sut.stop(timeout=10)


if __name__ == "__main__":
    harness.run(test)
