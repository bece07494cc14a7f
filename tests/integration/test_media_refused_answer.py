#!/usr/bin/env python3
"""A callee's answer carrying SDP the gateway refuses never leaves a half call.

The provider requires SRTP (`srtp: required`), the PBX is a raw SIP peer with plain RTP.

1. The provider (sipp uas_basic.xml) answers 200 with plain RTP/AVP and no a=crypto: the
   gateway ACKs and BYEs the provider's dialog (sipp's scenario, which waits for the BYE,
   succeeds), the PBX gets 488 Not Acceptable Here with a Warning saying why and never a 200,
   and the CDR records the call as failed, 488, with the reason.
2. The provider (sipp uas_183_bad_sdp.xml) answers 183 whose SDP names its media by host name:
   the gateway cancels the provider's INVITE, the PBX gets 488 with the Warning, the CDR records
   it the same way.
"""
import json
import re
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, sdp  # noqa: E402

PBX_MEDIA_HOST = "127.0.0.10"
PORT_MIN, PORT_MAX = 23400, 23499


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("media anchoring (a proxy does not check answers)")
        return
    topo = harness.Topology()
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
                  "transport": "udp", "priority": 10, "allow_plaintext": True,
                  "srtp": "required"}]
    sut = ctx.sut(topo, providers=providers, extra={
        "media": {"port_min": PORT_MIN, "port_max": PORT_MAX}}).start()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)
    gw = topo.pbx_side_addr()
    ruri = f"sip:{topo.dialled}@{topo.host}:{topo.pbx_side}"
    to = f"<sip:{topo.dialled}@{topo.host}>"

    def call(scenario, expected_warning):
        """One call from the PBX answered by `scenario`; returns the PBX's Call-ID."""
        uas = ctx.sipp("provider1", scenario, local_ip=topo.prov1_host,
                       local_port=topo.prov1_port, calls=1, timeout_s=30)
        uas.start()
        uas.wait_listening()
        call_id = uuid.uuid4().hex + "@pbx.internal"
        from_tag = "pbx" + uuid.uuid4().hex[:8]
        branch = harness.new_branch()
        via = f"SIP/2.0/UDP {topo.pbx_host}:{topo.pbx_port};branch={branch};rport"
        hs = [("Via", via), ("Max-Forwards", "70"),
              ("From", f"<sip:201@{topo.pbx_host}>;tag={from_tag}"), ("To", to),
              ("Call-ID", call_id), ("CSeq", "1 INVITE"),
              ("Contact", f"<sip:201@{topo.pbx_host}:{topo.pbx_port}>"),
              ("Content-Type", "application/sdp")]
        n = pbx.count()
        pbx.send(build_message(f"INVITE {ruri} SIP/2.0", hs, sdp(PBX_MEDIA_HOST, 40000,
                                                                   user="pbx")), gw)
        final = pbx.wait_for(lambda m: m.is_response and m.status >= 200 and
                             m.header("Call-ID") == call_id, timeout=15, start=n,
                             what=f"a final response to the INVITE ({scenario})")
        check(final.status == 488, f"the PBX got {final.status}, not 488:\n{final.raw}")
        warning = final.header("Warning") or ""
        log(f"488 Warning: {warning}")
        check(re.match(r'^399 \S+ ".+"$', warning), f"the 488 has no proper Warning: {warning!r}")
        check(expected_warning in warning,
              f"the Warning does not say why ({expected_warning!r}): {warning!r}")
        # The ACK of the 488 (a non-2xx: same branch, the 488's To tag).
        ack = [("Via", via), ("Max-Forwards", "70"),
               ("From", f"<sip:201@{topo.pbx_host}>;tag={from_tag}"), ("To", final.header("To")),
               ("Call-ID", call_id), ("CSeq", "1 ACK")]
        pbx.send(build_message(f"ACK {ruri} SIP/2.0", ack), gw)
        result = uas.wait(40)
        harness.expect_calls(result, 1, what=f"{scenario}: the provider's dialog is wound down")
        got = [m for m in pbx.messages()[n:] if m.is_response and m.status in (183, 200)]
        check(not got, f"the PBX got the refused answer itself: {got[0].start_line if got else ''}")
        return call_id, uas

    # 1. A 200 whose SDP refuses SRTP: ACK and BYE on the provider's leg.
    call_id1, uas1 = call("uas_basic.xml", "SRTP required")
    check(uas1.received("ACK"), "the provider never got an ACK for its 200")
    check(uas1.received("BYE"), "the provider never got a BYE")

    # 2. A 183 whose SDP names a host: the provider's INVITE is cancelled.
    call_id2, uas2 = call("uas_183_bad_sdp.xml", "not an IP address")
    check(uas2.received("CANCEL"), "the provider never got a CANCEL")

    rows = sut.wait_for_cdrs(lambda rs: all(any(r.get("a_call_id") == c and
                                                r.get("disposition") != "in-progress"
                                                for r in rs) for c in (call_id1, call_id2)),
                             what="the CDRs of both refused calls")
    for c, why in ((call_id1, "SRTP required"), (call_id2, "not an IP address")):
        row = next(r for r in rows if r.get("a_call_id") == c)
        log(f"CDR: {row.get('disposition')} {row.get('sip_code')} {row.get('end_reason')}")
        check(row.get("disposition") == "failed" and row.get("sip_code") == 488,
              f"the CDR of {c} is not failed/488: {row}")
        check((row.get("end_reason") or "").startswith("media: ") and why in row["end_reason"],
              f"the CDR of {c} does not carry the reason: {row.get('end_reason')!r}")
    # Nothing left behind in the gateway.
    deadline = time.time() + 10
    active = None
    while time.time() < deadline:
        r = subprocess.run([sut.binary, "status", "-c", sut.config_path, "--json"],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"`trunkguard status` failed: {r.stderr[-300:]}")
        active = json.loads(r.stdout)["active_calls"]
        if active == 0:
            break
        time.sleep(0.2)
    check(active == 0, f"{active} calls still live after both were refused")


if __name__ == "__main__":
    harness.run(test)
