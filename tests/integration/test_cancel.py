#!/usr/bin/env python3
"""CANCEL while ringing, both directions.

1. The PBX (sipp UAC) calls, carrier-a rings (180) and the PBX cancels after 500 ms:
   the PBX gets 200 for its CANCEL and 487 for its INVITE; the provider gets a CANCEL on its
   own leg and answers 200 + 487. 10 calls.
2. The same from carrier-a towards the PBX. 5 calls.
3. CDRs: disposition cancelled, sip_code 487, duration 0, no answer_time.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()

    uas = ctx.sipp("provider1", "uas_ring_cancel.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=10, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_cancel.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=10, rate=10,
                   duration_ms=500, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 10, what="PBX cancels")
    harness.expect_calls(uas_r, 10, what="provider is cancelled")
    check(len(uas.received("CANCEL")) >= 10, "the provider did not receive 10 CANCELs")
    check(len(uac.received(status=487)) >= 10, "the PBX did not receive 10 487 responses")
    a1 = {m.call_id for m in uac.sent("INVITE")}

    pbx = ctx.sipp("pbx-uas", "uas_ring_cancel.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, calls=5, timeout_s=60)
    prov = ctx.sipp("provider1-uac", "uac_cancel.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, remote=topo.trunk_side_addr(), service="2001",
                    calls=5, rate=10, duration_ms=500, timeout_s=60)
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    log(prov_r.describe())
    log(pbx_r.describe())
    harness.expect_calls(prov_r, 5, what="provider cancels")
    harness.expect_calls(pbx_r, 5, what="PBX is cancelled")
    a2 = {m.call_id for m in prov.sent("INVITE")}

    if not ctx.b2bua:
        ctx.skip("CDRs")
        return
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 15 and all(
        r.get("disposition") != "in-progress" for r in rs), timeout=15, what="15 final CDRs")
    by_a = {r.get("a_call_id"): r for r in rows}
    for a_ids, direction in ((a1, "outbound"), (a2, "inbound")):
        for a in a_ids:
            r = by_a.get(a)
            check(r is not None, f"no CDR with a_call_id {a!r}")
            where = f"CDR {r.get('call_uuid')} ({direction})"
            check(r.get("direction") == direction, f"{where}: {r.get('direction')!r}")
            check(r.get("disposition") == "cancelled",
                  f"{where}: disposition {r.get('disposition')!r}, expected cancelled")
            check(r.get("sip_code") == 487, f"{where}: sip_code {r.get('sip_code')!r}")
            check(not r.get("answer_time"), f"{where}: answer_time {r.get('answer_time')!r}")
            check(r.get("duration_ms") == 0, f"{where}: duration_ms {r.get('duration_ms')!r}")


if __name__ == "__main__":
    harness.run(test)
