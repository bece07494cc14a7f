#!/usr/bin/env python3
"""Outbound calls, PBX -> trunkguard -> provider, with real sipp peers.

1. sipp UAC as the PBX places 20 calls (held 1 s, the PBX hangs up) to the gateway's PBX
   listener; sipp UAS as carrier-a answers them. Every call must succeed on both sides.
2. 10 more calls where the provider hangs up (its BYE crosses to the PBX).
3. CDRs: 30 rows, outbound, carrier-a, answered with sip_code 200, the PBX's Call-ID as
   a_call_id and the provider's as b_call_id (different), answer/end times, durations about
   the hold time, end_reason by who hung up.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

HOLD_MS = 1000


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()

    # 1. The PBX hangs up.
    uas = ctx.sipp("provider1", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=20, timeout_s=60)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=20, rate=10,
                   duration_ms=HOLD_MS, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 20, what="PBX side, PBX hangs up")
    harness.expect_calls(uas_r, 20, what="provider side, PBX hangs up")
    a_ids_1 = {m.call_id for m in uac.sent("INVITE")}
    b_ids_1 = {m.call_id for m in uas.received("INVITE")}
    check(len(a_ids_1) == 20 and len(b_ids_1) == 20,
          f"expected 20 distinct Call-IDs per side, got {len(a_ids_1)} / {len(b_ids_1)}")

    # 2. The provider hangs up.
    uas2 = ctx.sipp("provider1-bye", "uas_bye.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, calls=10, duration_ms=HOLD_MS, timeout_s=60)
    uac2 = ctx.sipp("pbx-recv-bye", "uac_recv_bye.xml", local_ip=topo.pbx_host,
                    local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                    service=topo.dialled, calls=10, rate=10, duration_ms=500, timeout_s=60)
    uac2_r, (uas2_r,) = ctx.run_calls(uac2, [uas2])
    log(uac2_r.describe())
    log(uas2_r.describe())
    harness.expect_calls(uac2_r, 10, what="PBX side, provider hangs up")
    harness.expect_calls(uas2_r, 10, what="provider side, provider hangs up")
    a_ids_2 = {m.call_id for m in uac2.sent("INVITE")}
    b_ids_2 = {m.call_id for m in uas2.received("INVITE")}

    if not ctx.b2bua:
        ctx.skip("CDRs and leg separation (a proxy keeps one Call-ID)")
        return

    check(not (a_ids_1 | a_ids_2) & (b_ids_1 | b_ids_2),
          "a Call-ID from the PBX reached the provider: legs must not share Call-IDs")
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 30 and all(
        r.get("disposition") != "in-progress" for r in rs), timeout=15, what="30 final CDRs")
    check(len(rows) == 30, f"expected 30 CDRs, got {len(rows)}")
    by_a = {r.get("a_call_id"): r for r in rows}
    for group, a_ids, b_ids, reason in ((1, a_ids_1, b_ids_1, "bye-from-a"),
                                        (2, a_ids_2, b_ids_2, "bye-from-b")):
        for a in a_ids:
            r = by_a.get(a)
            check(r is not None, f"no CDR with a_call_id {a!r}")
            where = f"CDR {r.get('call_uuid')} (a_call_id {a})"
            check(r.get("direction") == "outbound", f"{where}: direction {r.get('direction')!r}")
            check(r.get("provider") == "carrier-a", f"{where}: provider {r.get('provider')!r}")
            check(r.get("disposition") == "answered",
                  f"{where}: disposition {r.get('disposition')!r}, expected answered")
            check(r.get("sip_code") == 200, f"{where}: sip_code {r.get('sip_code')!r}")
            check(r.get("b_call_id") in b_ids,
                  f"{where}: b_call_id {r.get('b_call_id')!r} is not a Call-ID the provider saw")
            check(r.get("b_call_id") != a, f"{where}: b_call_id equals a_call_id")
            for key in ("start_time", "answer_time", "end_time"):
                check(r.get(key) not in (None, "", 0), f"{where}: {key} missing")
            d = r.get("duration_ms")
            check(isinstance(d, (int, float)) and HOLD_MS * 0.8 <= d <= HOLD_MS + 5000,
                  f"{where}: duration_ms {d!r}, expected about {HOLD_MS}")
            check(r.get("end_reason") == reason,
                  f"{where}: end_reason {r.get('end_reason')!r}, expected {reason!r}")
            check(topo.dialled in (r.get("to_uri") or ""),
                  f"{where}: to_uri {r.get('to_uri')!r} lacks the dialled number")
            check((r.get("source_address") or "").startswith(topo.pbx_host),
                  f"{where}: source_address {r.get('source_address')!r}")
    uuids = {r.get("call_uuid") for r in rows}
    check(len(uuids) == 30 and None not in uuids, "call_uuid values are not 30 distinct ids")


if __name__ == "__main__":
    harness.run(test)
