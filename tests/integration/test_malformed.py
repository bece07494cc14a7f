#!/usr/bin/env python3
"""Malformed input: answered or dropped, never fatal.

From the PBX's address, a raw peer sends to the gateway's PBX listener:
  1. an INVITE without Call-ID                     -> 400 with a reason phrase
  2. an INVITE with a non-numeric CSeq            -> 400 with a reason phrase
  3. an INVITE with SIP/3.0 as its version         -> 505
  4. a malformed response (status "2x0", no CSeq)  -> dropped: nothing comes back
  5. a well-formed response matching no transaction -> dropped
  6. binary garbage and an empty datagram          -> dropped
Then the gateway must still answer OPTIONS and complete 5 sipp calls.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag, sdp


def invite(topo, peer, version="SIP/2.0", call_id=True, cseq="1 INVITE"):
    lhost, lport = peer.addr
    hs = [("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
          ("Max-Forwards", "70"),
          ("From", f"<sip:2001@{lhost}>;tag={new_tag()}"),
          ("To", f"<sip:{topo.dialled}@{topo.host}>")]
    if call_id:
        hs.append(("Call-ID", f"{new_tag()}@{lhost}"))
    hs += [("CSeq", cseq), ("Contact", f"<sip:2001@{lhost}:{lport}>"),
           ("Content-Type", "application/sdp")]
    return build_message(f"INVITE sip:{topo.dialled}@{topo.host}:{topo.pbx_side} {version}", hs,
                         sdp())


def expect_response(ctx, peer, data, gw, code, what):
    n = peer.count()
    peer.send(data, gw)
    try:
        r = peer.wait_for(lambda m: m.is_response, timeout=3, start=n,
                          what=f"a response to {what}")
    except harness.TestFailure:
        if ctx.b2bua:
            raise
        ctx.skip(f"{what}: kamailio drops it without an answer")
        return None
    log(f"{what}: {r.summary()!r}")
    if ctx.b2bua:
        check(r.status == code, f"{what}: expected {code}, got {r.summary()!r}")
        check(r.reason and r.reason.strip(), f"{what}: the {code} has no reason phrase")
    elif r.status != code:
        ctx.skip(f"{what}: kamailio answers {r.status}")
    return r


def expect_silence(peer, data, gw, what, wait=1.0):
    n = peer.count()
    peer.send(data, gw)
    got = peer.wait_quiet(wait, start=n)
    check(not got, f"{what}: expected no answer, got {[m.summary() for m in got]}")
    log(f"{what}: dropped")


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()
    gw = topo.pbx_side_addr()
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)

    if ctx.b2bua:
        expect_response(ctx, pbx, invite(topo, pbx, call_id=False), gw, 400,
                        "INVITE without Call-ID")
    else:
        ctx.skip("INVITE without Call-ID (kamailio's parser drops it silently)")
    expect_response(ctx, pbx, invite(topo, pbx, cseq="abc INVITE"), gw, 400,
                    "INVITE with CSeq 'abc'")
    expect_response(ctx, pbx, invite(topo, pbx, version="SIP/3.0"), gw, 505,
                    "INVITE with SIP/3.0")
    lhost, lport = pbx.addr
    bad_response = (f"SIP/2.0 2x0 OK\r\nVia: SIP/2.0/UDP {topo.host}:{topo.pbx_side};"
                    f"branch={new_branch()}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\n"
                    "Call-ID: broken\r\nContent-Length: 0\r\n\r\n").encode()
    expect_silence(pbx, bad_response, gw, "malformed response")
    stray = build_message("SIP/2.0 200 OK", [
        ("Via", f"SIP/2.0/UDP {topo.host}:{topo.pbx_side};branch={new_branch()}"),
        ("From", f"<sip:2001@{lhost}>;tag={new_tag()}"),
        ("To", f"<sip:{topo.dialled}@{topo.host}>;tag={new_tag()}"),
        ("Call-ID", f"{new_tag()}@nowhere"), ("CSeq", "1 INVITE")])
    expect_silence(pbx, stray, gw, "response matching no transaction")
    expect_silence(pbx, bytes(range(256)) * 4, gw, "binary garbage")
    expect_silence(pbx, b"", gw, "empty datagram", wait=0.3)
    expect_silence(pbx, b"INVITE\r\n\r\n", gw, "truncated request line")

    check(sut.alive(), "the SUT died on malformed input")
    r = harness.send_options(gw, timeout=2)
    check(r is not None and r.status == 200, "OPTIONS not answered after the malformed input")
    pbx.close()

    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=5, timeout_s=60)
    uac = ctx.sipp("pbx-after", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=gw, service=topo.dialled, calls=5, rate=5,
                   duration_ms=200, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    harness.expect_calls(uac_r, 5, what="calls after malformed input")
    harness.expect_calls(uas_r, 5, what="provider after malformed input")


if __name__ == "__main__":
    harness.run(test)
