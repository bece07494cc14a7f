#!/usr/bin/env python3
"""No provider answers: the PBX gets a final error and the CDR says failed.

carrier-a is absent (nothing listens) and carrier-b receives INVITEs but never answers;
t1 = 100 ms (Timer B 6.4 s per provider). sipp UAC (PBX) places 3 calls expecting a final
error (408/480/500/502/503/504) and ACKs it. Checks: every call ends that way within a bound
(two timeouts plus slack), the PBX never sees a 2xx, CDRs are failed with that code.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

T1_MS = 100
TIMER_B_S = 64 * T1_MS / 1000.0


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo, t1_ms=T1_MS).start()
    p2 = ctx.sipp("carrier-b-silent", "uas_noanswer.xml", local_ip=topo.prov2_host,
                  local_port=topo.prov2_port, duration_ms=int(TIMER_B_S * 1000) + 5000,
                  timeout_s=90)
    uac = ctx.sipp("pbx", "uac_expect_error.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=3, rate=3, timeout_s=90)
    uac_r, _ = ctx.run_calls(uac, [p2])
    elapsed = uac_r.elapsed
    log(uac_r.describe())
    harness.expect_calls(uac_r, 3, what="PBX gets a final error")
    finals = [m for m in uac.received() if m.status and m.status >= 200 and
              m.cseq[1] == "INVITE"]
    codes = sorted({m.status for m in finals})
    log(f"final responses at the PBX: {codes}")
    check(finals and all(300 <= c < 700 for c in codes), f"PBX final codes {codes}")
    check(elapsed < 2 * TIMER_B_S + 15,
          f"the error reached the PBX only after {elapsed:.1f}s (two timeouts are "
          f"{2 * TIMER_B_S:.1f}s)")
    check(len(p2.received("INVITE")) >= 3, "carrier-b never received the INVITEs")

    if not ctx.b2bua:
        ctx.skip("CDRs")
        return
    a_ids = {m.call_id for m in uac.sent("INVITE")}
    rows = sut.wait_for_cdrs(lambda rs: all(
        any(r.get("a_call_id") == a and r.get("end_time") for r in rs) for a in a_ids),
        timeout=15, what="ended CDRs")
    for r in rows:
        if r.get("a_call_id") not in a_ids:
            continue
        where = f"CDR {r.get('call_uuid')}"
        check(r.get("disposition") == "failed",
              f"{where}: disposition {r.get('disposition')!r}, expected failed")
        check(r.get("sip_code") in codes,
              f"{where}: sip_code {r.get('sip_code')!r}, the PBX got {codes}")
        check(not r.get("answer_time") and r.get("duration_ms") == 0,
              f"{where}: an unanswered call has answer_time/duration")


if __name__ == "__main__":
    harness.run(test)
