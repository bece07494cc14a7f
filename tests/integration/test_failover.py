#!/usr/bin/env python3
"""Provider failover, PBX -> trunkguard -> carrier-a (priority 10) / carrier-b (priority 20).
t1 is 100 ms, so an INVITE client transaction times out after 64*T1 = 6.4 s.

1. carrier-a answers every INVITE with 503: each call completes on carrier-b. 10 calls.
2. Nothing listens at carrier-a's address (transport error or timeout): each call completes
   on carrier-b. 5 calls.
3. carrier-a receives the INVITE and never answers (not even 100): each call completes on
   carrier-b after the timeout. 3 calls.
The PBX must see only a successful call each time; CDRs name carrier-b.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

T1_MS = 100
TIMER_B_S = 64 * T1_MS / 1000.0


def check_cdrs(ctx, sut, a_ids, what):
    if not ctx.b2bua:
        ctx.skip(f"CDRs ({what})")
        return
    rows = sut.wait_for_cdrs(lambda rs: all(
        any(r.get("a_call_id") == a and r.get("end_time") for r in rs) for a in a_ids),
        timeout=15, what=f"ended CDRs for {what}")
    for r in rows:
        if r.get("a_call_id") in a_ids:
            check(r.get("provider") == "carrier-b",
                  f"{what}: CDR {r.get('call_uuid')} provider {r.get('provider')!r}, "
                  "expected carrier-b (the call completed there)")
            check(r.get("disposition") == "answered",
                  f"{what}: CDR {r.get('call_uuid')} disposition {r.get('disposition')!r}")


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo, t1_ms=T1_MS).start()

    # 1. 503 from carrier-a.
    p1 = ctx.sipp("carrier-a-503", "uas_503.xml", local_ip=topo.prov1_host,
                  local_port=topo.prov1_port, calls=10, timeout_s=60)
    p2 = ctx.sipp("carrier-b", "uas_basic.xml", local_ip=topo.prov2_host,
                  local_port=topo.prov2_port, calls=10, timeout_s=60)
    uac = ctx.sipp("pbx-503", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=10, rate=10,
                   duration_ms=300, timeout_s=60)
    uac_r, (p1_r, p2_r) = ctx.run_calls(uac, [p1, p2])
    for r in (uac_r, p1_r, p2_r):
        log(r.describe())
    harness.expect_calls(uac_r, 10, what="503 failover, PBX side")
    harness.expect_calls(p1_r, 10, what="503 failover, carrier-a (503 + ACK)")
    harness.expect_calls(p2_r, 10, what="503 failover, carrier-b")
    check(not uac.received(status=503), "the PBX saw carrier-a's 503; failover must hide it")
    check_cdrs(ctx, sut, {m.call_id for m in uac.sent("INVITE")}, "503 failover")

    # 2. Nothing listens at carrier-a.
    check(not harness.port_in_use(topo.prov1_host, topo.prov1_port),
          "carrier-a's port should be closed for this step")
    p2 = ctx.sipp("carrier-b-2", "uas_basic.xml", local_ip=topo.prov2_host,
                  local_port=topo.prov2_port, calls=5, timeout_s=60)
    uac = ctx.sipp("pbx-absent", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=5, rate=5, duration_ms=300, timeout_s=60)
    uac_r, (p2_r,) = ctx.run_calls(uac, [p2])
    log(uac_r.describe())
    log(p2_r.describe())
    harness.expect_calls(uac_r, 5, what="absent carrier-a, PBX side")
    harness.expect_calls(p2_r, 5, what="absent carrier-a, carrier-b")
    check_cdrs(ctx, sut, {m.call_id for m in uac.sent("INVITE")}, "absent provider")

    # 3. carrier-a never answers.
    p1 = ctx.sipp("carrier-a-silent", "uas_noanswer.xml", local_ip=topo.prov1_host,
                  local_port=topo.prov1_port, duration_ms=int(TIMER_B_S * 1000) + 3000,
                  timeout_s=60)
    p2 = ctx.sipp("carrier-b-3", "uas_basic.xml", local_ip=topo.prov2_host,
                  local_port=topo.prov2_port, calls=3, timeout_s=60)
    uac = ctx.sipp("pbx-silent", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=3, rate=3, duration_ms=300, timeout_s=60)
    uac_r, (p1_r, p2_r) = ctx.run_calls(uac, [p1, p2])
    elapsed = uac_r.elapsed
    log(uac_r.describe())
    harness.expect_calls(uac_r, 3, what="silent carrier-a, PBX side")
    harness.expect_calls(p2_r, 3, what="silent carrier-a, carrier-b")
    check(len(p1.received("INVITE")) >= 3, "carrier-a did not receive the INVITEs")
    check(elapsed < 3 * TIMER_B_S + 20, f"failover after a silent provider took {elapsed:.1f}s")
    check_cdrs(ctx, sut, {m.call_id for m in uac.sent("INVITE")}, "silent provider")


if __name__ == "__main__":
    harness.run(test)
