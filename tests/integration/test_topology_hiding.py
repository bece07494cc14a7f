#!/usr/bin/env python3
"""Topology hiding: nothing of the PBX's internals reaches the provider side, and nothing of
the provider's internals reaches the PBX.

A raw peer plays the PBX and sends, by hand, an INVITE full of internal details: a Via with
10.1.2.3 (and a second, internal-hop Via with 10.9.9.9), a Call-ID and From/To on
pbx.internal.corp, User-Agent "Asterisk PBX 18", X-Internal-Secret and another X- header, a
Contact with an internal line parameter. A raw peer plays carrier-a, records everything the
gateway sends it and answers (100, 180, 200 with its own Server, X- header and Contact; 200
for ACK-less requests such as BYE). The PBX ACKs and hangs up.

Asserted on every message sent to the provider: none of the PBX markers (addresses, host
name, Call-ID, tags, Via branches, X- headers, User-Agent, contact parameters) appear; exactly
one Via, the gateway's own; the Request-URI is the dialled number at the provider; Contact is
the gateway's trunk address. And the reverse on every message the PBX received.
"""
import re
import uuid

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, build_response, sdp


def test(ctx):
    topo = harness.Topology()
    sut = ctx.sut(topo).start()
    a_call_id = f"{uuid.uuid4().hex}@pbx.internal.corp"
    a_from_tag = "pbxtag" + uuid.uuid4().hex[:8]
    a_branch = "z9hG4bK-pbxbranch-" + uuid.uuid4().hex[:8]
    hop_branch = "z9hG4bK-internalhop-" + uuid.uuid4().hex[:8]
    pbx_markers = ["pbx.internal.corp", "10.1.2.3", "10.9.9.9", a_call_id, a_from_tag,
                   a_branch, hop_branch, "X-Internal-Secret", "hunter2-internal",
                   "X-Asterisk-Queue", "Asterisk", "secretline-7f3a", "pbx-trunk-user",
                   f"{topo.pbx_host}:{topo.pbx_port}"]

    prov_call_id = f"{uuid.uuid4().hex}@sbc.provider.example"
    prov_tag = "provtag" + uuid.uuid4().hex[:8]
    provider_markers = ["sbc.provider.example", prov_call_id, prov_tag, "ProviderSwitch",
                        "X-Provider-Internal", "pv-secret-99", "prov-contact-user",
                        f"{topo.prov1_host}:{topo.prov1_port}"]

    def provider_handler(peer, msg, addr):
        if msg.is_response:
            return
        contact = (f"<sip:prov-contact-user@{topo.prov1_host}:{topo.prov1_port}>")
        extra = [("Server", "ProviderSwitch 9.1"), ("X-Provider-Internal", "pv-secret-99"),
                 ("Contact", contact)]
        if msg.method == "INVITE":
            peer.send(build_response(msg, 100, "Trying"), addr)
            peer.send(build_response(msg, 180, "Ringing", to_tag=prov_tag, headers=extra), addr)
            body = sdp("127.0.0.1", 41000, user="-")
            peer.send(build_response(msg, 200, "OK", to_tag=prov_tag, headers=extra + [
                ("Content-Type", "application/sdp")], body=body), addr)
        elif msg.method == "ACK":
            pass
        else:
            peer.send(build_response(msg, 200, "OK", to_tag=prov_tag, headers=extra), addr)

    provider = ctx.peer("carrier-a", topo.prov1_host, topo.prov1_port, provider_handler)
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)
    gw = topo.pbx_side_addr()
    ruri = f"sip:{topo.dialled}@{gw[0]}:{gw[1]}"

    def pbx_request(method, uri, cseq, to, branch, routes=(), body="", extra=()):
        hs = [("Via", f"SIP/2.0/UDP 10.1.2.3:{topo.pbx_port};branch={branch};rport")]
        hs.append(("Via", f"SIP/2.0/UDP 10.9.9.9:5060;branch={hop_branch};"
                          "received=10.9.9.9"))
        hs += [("Max-Forwards", "70"),
               ("From", f'"Alice Internal" <sip:2001@pbx.internal.corp>;tag={a_from_tag}'),
               ("To", to),
               ("Call-ID", a_call_id),
               ("CSeq", f"{cseq} {method}")]
        hs += [("Route", r) for r in routes]
        hs += [("Contact", f"<sip:pbx-trunk-user@{topo.pbx_host}:{topo.pbx_port};"
                           "line=secretline-7f3a>"),
               ("User-Agent", "Asterisk PBX 18.20.0"),
               ("X-Internal-Secret", "hunter2-internal"),
               ("X-Asterisk-Queue", "sales-internal"),
               ("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS")]
        hs += list(extra)
        if body:
            hs.append(("Content-Type", "application/sdp"))
        return build_message(f"{method} {uri} SIP/2.0", hs, body)

    to = f"<sip:{topo.dialled}@pbx.internal.corp>"
    pbx.send(pbx_request("INVITE", ruri, 101, to, a_branch, body=sdp("127.0.0.1", 40000,
                                                                      user="-")), gw)
    ok = pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "INVITE",
                      timeout=10, what="200 OK for the INVITE")
    check(ok.call_id == a_call_id, "the PBX's 200 has another Call-ID than its INVITE")
    to_with_tag = ok.header("To")
    check(ok.tag("To"), "the PBX's 200 has no To tag")
    routes = list(reversed(ok.header_all("Record-Route")))
    target = ok.contact_uri()
    ack_branch = "z9hG4bK-pbxack-" + uuid.uuid4().hex[:8]
    pbx.send(pbx_request("ACK", target, 101, to_with_tag, ack_branch, routes), gw)
    provider.wait_for(lambda m: m.method == "ACK", timeout=5, what="ACK at the provider")
    bye_branch = "z9hG4bK-pbxbye-" + uuid.uuid4().hex[:8]
    n = pbx.count()
    pbx.send(pbx_request("BYE", target, 102, to_with_tag, bye_branch, routes), gw)
    pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "BYE",
                 timeout=10, start=n, what="200 OK for the BYE")
    provider.wait_for(lambda m: m.method == "BYE", timeout=5, what="BYE at the provider")
    pbx_markers += [ack_branch, bye_branch]

    to_provider = provider.messages()
    to_pbx = pbx.messages()
    log(f"provider received {[m.summary() for m in to_provider]}")
    log(f"PBX received {[m.summary() for m in to_pbx]}")

    def leaks(messages, markers):
        found = []
        for m in messages:
            for mk in markers:
                if mk.lower() in m.raw.lower():
                    line = next((ln for ln in m.raw.splitlines() if mk.lower() in ln.lower()),
                                "")
                    found.append(f"{m.summary()!r} carries {mk!r} in {line.strip()!r}")
            for name in m.header_names():
                if name.lower().startswith("x-"):
                    found.append(f"{m.summary()!r} carries header {name}")
        return found

    leaked_out = leaks(to_provider, pbx_markers)
    leaked_in = leaks(to_pbx, provider_markers)
    if not ctx.b2bua:
        # A proxy forwards the PBX's headers: the checker must see that, or it checks nothing.
        check(leaked_out, "self-test: a proxy SUT leaked nothing, so the leak checker is blind")
        ctx.skip(f"topology hiding (a proxy leaks by design; the checker found "
                 f"{len(leaked_out)} + {len(leaked_in)} leaks, as it should)")
        return

    check(not leaked_out, "PBX internals reached the provider:\n  " + "\n  ".join(leaked_out))
    check(not leaked_in, "provider internals reached the PBX:\n  " + "\n  ".join(leaked_in))
    for m in to_provider:
        vias = m.header_all("Via")
        if m.is_response:
            continue
        check(len(vias) == 1, f"{m.summary()!r} to the provider has {len(vias)} Vias: {vias}")
        check(re.search(rf"\b{re.escape(topo.host)}:{topo.trunk_side}\b", vias[0]),
              f"{m.summary()!r}: Via {vias[0]!r} is not the gateway's trunk address")
        ua = m.header("User-Agent")
        check(ua is None or "asterisk" not in ua.lower(), f"User-Agent {ua!r} crossed")
    invite = next(m for m in to_provider if m.method == "INVITE")
    check(re.match(rf"sip:{topo.dialled}@{re.escape(topo.prov1_host)}(:{topo.prov1_port})?"
                   r"([;>]|$)", invite.uri or ""),
          f"Request-URI to the provider is {invite.uri!r}, expected the dialled number at "
          f"{topo.prov1_host}")
    contact = invite.contact_uri()
    check(f"{topo.host}:{topo.trunk_side}" in contact,
          f"Contact to the provider {contact!r} is not the gateway's trunk address")
    check(invite.call_id != a_call_id and invite.tag("From") != a_from_tag,
          "the provider leg reuses the PBX leg's Call-ID or From tag")
    for m in to_pbx:
        if not m.is_response:
            continue
        check(len(m.header_all("Via")) == 2, f"{m.summary()!r} to the PBX must carry back "
              f"exactly the PBX's two Vias, has {m.header_all('Via')}")
    sut.wait_for_cdrs(lambda rs: any(r.get("a_call_id") == a_call_id and r.get("end_time")
                                     for r in rs), timeout=10, what="the call's CDR")


if __name__ == "__main__":
    harness.run(test)
