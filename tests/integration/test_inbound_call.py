#!/usr/bin/env python3
"""Inbound calls, provider -> trunkguard -> PBX, with real sipp peers.

1. sipp UAC as carrier-a (from its configured address) calls the gateway's trunk listener 10
   times; sipp UAS as the PBX answers; the provider hangs up.
2. 5 calls from carrier-b (127.0.0.2) where the PBX hangs up.
3. CDRs: inbound, provider named after the source, answered, distinct leg Call-IDs.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

HOLD_MS = 800


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()

    pbx = ctx.sipp("pbx", "uas_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   calls=10, timeout_s=60)
    prov = ctx.sipp("carrier-a", "uac_basic.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, remote=topo.trunk_side_addr(),
                    service="2001", calls=10, rate=10, duration_ms=HOLD_MS, timeout_s=60)
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    log(prov_r.describe())
    log(pbx_r.describe())
    harness.expect_calls(prov_r, 10, what="provider side (carrier-a)")
    harness.expect_calls(pbx_r, 10, what="PBX side")
    a1 = {m.call_id for m in prov.sent("INVITE")}
    b1 = {m.call_id for m in pbx.received("INVITE")}
    for m in pbx.received("INVITE"):
        check(m.uri.startswith("sip:2001@"), f"INVITE to the PBX has Request-URI {m.uri!r}, "
              "expected the dialled extension 2001")

    pbx2 = ctx.sipp("pbx-bye", "uas_bye.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                    calls=5, duration_ms=HOLD_MS, timeout_s=60)
    prov2 = ctx.sipp("carrier-b", "uac_recv_bye.xml", local_ip=topo.prov2_host,
                     local_port=topo.prov2_port, remote=topo.trunk_side_addr(),
                     service="2002", calls=5, rate=10, duration_ms=300, timeout_s=60)
    prov2_r, (pbx2_r,) = ctx.run_calls(prov2, [pbx2])
    log(prov2_r.describe())
    log(pbx2_r.describe())
    harness.expect_calls(prov2_r, 5, what="provider side (carrier-b)")
    harness.expect_calls(pbx2_r, 5, what="PBX side, PBX hangs up")
    a2 = {m.call_id for m in prov2.sent("INVITE")}
    b2 = {m.call_id for m in pbx2.received("INVITE")}

    if not ctx.b2bua:
        ctx.skip("CDRs and leg separation")
        return
    check(not (a1 | a2) & (b1 | b2), "a provider Call-ID reached the PBX")
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 15 and all(
        r.get("disposition") != "in-progress" for r in rs), timeout=15, what="15 final CDRs")
    by_a = {r.get("a_call_id"): r for r in rows}
    for a_ids, b_ids, provider, reason in ((a1, b1, "carrier-a", "bye-from-a"),
                                           (a2, b2, "carrier-b", "bye-from-b")):
        for a in a_ids:
            r = by_a.get(a)
            check(r is not None, f"no CDR with a_call_id {a!r}")
            where = f"CDR {r.get('call_uuid')}"
            check(r.get("direction") == "inbound", f"{where}: direction {r.get('direction')!r}")
            check(r.get("provider") == provider,
                  f"{where}: provider {r.get('provider')!r}, expected {provider}")
            check(r.get("disposition") == "answered", f"{where}: {r.get('disposition')!r}")
            check(r.get("sip_code") == 200, f"{where}: sip_code {r.get('sip_code')!r}")
            check(r.get("b_call_id") in b_ids, f"{where}: b_call_id not seen by the PBX")
            check(r.get("end_reason") == reason,
                  f"{where}: end_reason {r.get('end_reason')!r}, expected {reason!r}")
            d = r.get("duration_ms")
            check(isinstance(d, (int, float)) and d >= 200, f"{where}: duration_ms {d!r}")


if __name__ == "__main__":
    harness.run(test)
