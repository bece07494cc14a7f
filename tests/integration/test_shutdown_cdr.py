#!/usr/bin/env python3
"""Every CDR gets an end at shutdown (issue 21).

1. The PBX calls; carrier-a rings and then ignores everything (no final answer, no 487 for
   the CANCEL the gateway sends when it stops): the call is live, ringing, at SIGTERM.
2. The gateway must exit 0 within 10 s, and the call's CDR must be final: an end time,
   disposition failed, sip_code 480, end_reason ended-by-gateway: gateway shutting down.
   (Before the fix the row stayed in-progress: the gateway waited for a 487 that never came.)
3. The caller got a final answer (480) for its INVITE, not silence.
"""
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("CDRs at shutdown (a proxy writes none)")
        return
    topo = harness.Topology()
    sut = ctx.sut(topo).start()
    uas = ctx.sipp("carrier-a", "flow_uas_ring_forever.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, timeout_s=30, duration_ms=20000)
    uac = ctx.sipp("pbx", "uac_expect_error.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=1, timeout_s=30)
    uas.start()
    uas.wait_listening()
    uac.start()
    rows = sut.wait_for_cdrs(lambda rs: len(rs) == 1, timeout=10, what="the ringing call's CDR")
    check(rows[0].get("disposition") == "in-progress", f"the call is not live: {rows[0]}")
    deadline = time.time() + 5
    while not uas.received("INVITE") and time.time() < deadline:
        time.sleep(0.1)
    check(uas.received("INVITE"), "carrier-a did not get the INVITE")

    sut.stop(timeout=10)  # SIGTERM; checks exit 0 within 10 s
    uac_r = uac.wait(15)
    log(uac_r.describe())
    harness.expect_calls(uac_r, 1, what="caller")
    check(uac.received(status=480), "the caller did not get 480 when the gateway stopped")
    uas.stop()

    rows = sut.cdr_list()
    check(len(rows) == 1, f"expected 1 CDR, got {len(rows)}")
    r = rows[0]
    log(f"CDR after shutdown: {r.get('disposition')} {r.get('sip_code')} {r.get('end_reason')!r}")
    check(r.get("disposition") == "failed" and r.get("sip_code") == 480,
          f"CDR {r.get('disposition')!r} {r.get('sip_code')!r}, expected failed 480")
    check(r.get("end_time"), "the CDR of a call live at SIGTERM has no end time")
    check(r.get("end_reason") == "ended-by-gateway: gateway shutting down",
          f"end_reason {r.get('end_reason')!r}")


if __name__ == "__main__":
    harness.run(test)
