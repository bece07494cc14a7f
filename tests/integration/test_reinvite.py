#!/usr/bin/env python3
"""re-INVITE in the middle of a call (e.g. hold), PBX -> provider.

sipp UAC (PBX) sends a re-INVITE 500 ms after the ACK; the provider's sipp UAS answers it
with new SDP; the call then ends with the PBX's BYE. 10 calls.
Checks: every call succeeds on both sides; the provider's re-INVITE belongs to its own leg
(same Call-ID and tags as its initial INVITE, higher CSeq) and carries the PBX's new SDP
(a=sendonly); the PBX's 200 carries the provider's answer (a=recvonly); CDRs answered.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()
    uas = ctx.sipp("provider1", "uas_reinvite.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=10, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_reinvite.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=10, rate=10,
                   duration_ms=500, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 10, what="PBX side")
    harness.expect_calls(uas_r, 10, what="provider side")

    invites = uas.received("INVITE")
    by_call = {}
    for m in invites:
        by_call.setdefault(m.call_id, []).append(m)
    check(len(by_call) == 10, f"provider saw {len(by_call)} calls, expected 10")
    for call_id, msgs in by_call.items():
        initial = [m for m in msgs if not m.tag("To")]
        re_inv = [m for m in msgs if m.tag("To")]
        check(initial and re_inv, f"call {call_id}: expected an initial INVITE and a "
              f"re-INVITE at the provider, got {[m.summary() for m in msgs]}")
        check(re_inv[0].tag("From") == initial[0].tag("From"),
              f"call {call_id}: re-INVITE From tag differs from the initial INVITE's")
        check(re_inv[0].cseq[0] > initial[0].cseq[0],
              f"call {call_id}: re-INVITE CSeq {re_inv[0].cseq} not above {initial[0].cseq}")
        check("a=sendonly" in re_inv[0].body,
              f"call {call_id}: the re-INVITE lost the PBX's new SDP: {re_inv[0].body!r}")
    oks = [m for m in uac.received(status=200) if m.cseq == (2, "INVITE")]
    check(len(oks) >= 10 and all("a=recvonly" in m.body for m in oks),
          "the PBX's 200 for its re-INVITE lacks the provider's SDP answer")

    if not ctx.b2bua:
        ctx.skip("CDRs")
        return
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 10 and all(
        r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
        what="10 answered, ended CDRs")
    check(len(rows) == 10, f"a re-INVITE created a CDR of its own: {len(rows)} rows")


if __name__ == "__main__":
    harness.run(test)
