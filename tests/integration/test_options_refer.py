#!/usr/bin/env python3
"""OPTIONS answered locally; REFER refused with the dialog intact.

1. OPTIONS to the gateway itself from the PBX's address (PBX listener) and from carrier-a's
   address (trunk listener): each answered 200 by the gateway, nothing forwarded to the other
   side.
2. sipp UAC (PBX) places 5 calls; each sends an in-dialog REFER that must be refused with 403,
   then hangs up with a BYE that must reach the provider and be answered (the dialog
   survived). The provider never sees a REFER.
3. The same with the provider as the referrer, towards the PBX: 3 calls.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag


def options_from(peer, target, ruri_host):
    lhost, lport = peer.addr
    n = peer.count()
    peer.send(build_message(f"OPTIONS sip:{ruri_host}:{target[1]} SIP/2.0", [
        ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
        ("Max-Forwards", "70"),
        ("From", f"<sip:keepalive@{lhost}:{lport}>;tag={new_tag()}"),
        ("To", f"<sip:{ruri_host}:{target[1]}>"),
        ("Call-ID", f"{new_tag()}@{lhost}"),
        ("CSeq", "1 OPTIONS"),
        ("Accept", "application/sdp"),
    ]), target)
    return peer.wait_for(lambda m: m.is_response and m.cseq[1] == "OPTIONS", timeout=5,
                         start=n, what="a response to OPTIONS")


def test(ctx):
    topo = harness.Topology()
    ctx.sut(topo).start()

    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)
    prov = ctx.peer("carrier-a", topo.prov1_host, topo.prov1_port)
    r = options_from(pbx, topo.pbx_side_addr(), topo.host)
    check(r.status == 200, f"OPTIONS on the PBX listener answered {r.summary()!r}")
    r = options_from(prov, topo.trunk_side_addr(), topo.host)
    check(r.status == 200, f"OPTIONS on the trunk listener answered {r.summary()!r}")
    if ctx.b2bua:
        # Issue 21: a caller's Require: 100rel is answered 420, so OPTIONS must not offer it.
        supported = (r.header("Supported") or "").lower()
        check("100rel" not in supported, f"OPTIONS says Supported: {supported!r}")
    stray = [m for m in pbx.wait_quiet(0.5) + prov.messages() if not m.is_response]
    check(not stray, f"an OPTIONS to the gateway was forwarded: {[m.summary() for m in stray]}")
    pbx.close()
    prov.close()
    log("OPTIONS answered 200 locally on both sides")

    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=5, timeout_s=60)
    uac = ctx.sipp("pbx-refer", "uac_refer.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=5, rate=5, duration_ms=300, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 5, what="PBX's REFER refused with 403, call intact")
    harness.expect_calls(uas_r, 5, what="provider side of the REFER calls")
    check(not uas.received("REFER"), "a REFER reached the provider")
    check(len(uas.received("BYE")) >= 5, "the BYEs after the refused REFER did not arrive")

    pbx_uas = ctx.sipp("pbx", "uas_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                       calls=3, timeout_s=60)
    prov_uac = ctx.sipp("carrier-a-refer", "uac_refer.xml", local_ip=topo.prov1_host,
                        local_port=topo.prov1_port, remote=topo.trunk_side_addr(),
                        service="2001", calls=3, rate=5, duration_ms=300, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(prov_uac, [pbx_uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 3, what="provider's REFER refused with 403, call intact")
    harness.expect_calls(uas_r, 3, what="PBX side of the REFER calls")
    check(not pbx_uas.received("REFER"), "a REFER reached the PBX")


if __name__ == "__main__":
    harness.run(test)
