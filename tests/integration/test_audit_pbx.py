#!/usr/bin/env python3
"""`trunkguard audit pbx HOST:PORT` against real SIP servers on loopback.

1. sipp answering OPTIONS with "Server: Asterisk PBX 13.1.0": the shipped table flags
   AST-2017-005 (exit 12, high); with a --data table in which 13.1.0 is fixed, only the version
   banner remains (exit 10, low). sipp saw exactly one OPTIONS per audit.
2. A raw PBX that answers REGISTER 401 for extension 201 and 404 for anyone else: the audit
   reports PBX-ENUMERATION (exit 11), and its requests were at least 200 ms apart.
3. --invite: a raw PBX that routes an unauthenticated INVITE (100, 183) gets a CANCEL at once
   and its 487 is acknowledged: PBX-UNAUTH-INVITE (exit 13); one that answers it (200) gets
   ACK and BYE at once (same finding); one that challenges (407) gets its ACK and no finding.
4. trunkguard's own public zone (phones in gateway mode, account 201) must not enumerate nor
   route an unauthenticated INVITE: no finding at all (exit 0).
5. A range is refused before anything is sent (exit 2).
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import guard_helpers as gh  # noqa: E402


def audit(ctx, *args):
    r = subprocess.run([ctx.binary, "audit", "pbx", *args, "--json"], capture_output=True,
                       text=True, timeout=60)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise harness.TestFailure(f"audit pbx {args} printed no JSON (exit {r.returncode}): "
                                  f"{r.stdout[-300:]} {r.stderr[-300:]}")
    ids = sorted(f["id"] for f in report["findings"])
    log(f"audit pbx {' '.join(args)}: exit {r.returncode}, {ids}, errors {report['errors']}")
    return r.returncode, report, ids


def enumerating_pbx(peer, msg, addr):
    if msg.is_response:
        return
    if msg.method == "REGISTER":
        if "<sip:201@" in (msg.header("To") or ""):
            peer.send(harness.build_response(msg, 401, "Unauthorized", to_tag="e1", headers=[
                ("WWW-Authenticate", 'Digest realm="pbx", nonce="abc", algorithm=MD5')]), addr)
        else:
            peer.send(harness.build_response(msg, 404, "Not Found", to_tag="e2"), addr)
    else:
        peer.send(harness.build_response(msg, 200, "OK", to_tag="e3"), addr)


def routing_pbx(peer, msg, addr):
    """Routes any INVITE (100, 183) until it is cancelled."""
    if msg.is_response:
        return
    if msg.method == "INVITE":
        peer.send(harness.build_response(msg, 100, "Trying"), addr)
        peer.send(harness.build_response(msg, 183, "Session Progress", to_tag="r1"), addr)
        peer.invite = msg
    elif msg.method == "CANCEL":
        peer.send(harness.build_response(msg, 200, "OK", to_tag="r1"), addr)
        peer.send(harness.build_response(peer.invite, 487, "Request Terminated", to_tag="r1"),
                  addr)
    elif msg.method != "ACK":
        peer.send(harness.build_response(msg, 200, "OK", to_tag="r2"), addr)


def challenging_pbx(peer, msg, addr):
    if msg.is_response or msg.method == "ACK":
        return
    if msg.method == "INVITE":
        peer.send(harness.build_response(msg, 407, "Proxy Authentication Required", to_tag="c1",
                                         headers=[("Proxy-Authenticate",
                                                   'Digest realm="pbx", nonce="n1"')]), addr)
    else:
        peer.send(harness.build_response(msg, 200, "OK", to_tag="c2"), addr)


def answering_pbx(peer, msg, addr):
    """Answers any INVITE at once (200 with SDP); BYE gets 200."""
    if msg.is_response or msg.method == "ACK":
        return
    headers = [("Contact", f"<sip:pbx@{peer.addr[0]}:{peer.addr[1]}>"),
               ("Content-Type", "application/sdp")] if msg.method == "INVITE" else []
    body = harness.sdp() if msg.method == "INVITE" else ""
    peer.send(harness.build_response(msg, 200, "OK", to_tag="a1", headers=headers, body=body),
              addr)


def methods(peer):
    return [m.method for _, _, m in peer.received if not m.is_response]


def test(ctx):
    # 1. A server that announces a vulnerable version.
    port = harness.free_port()
    server = ctx.sipp("server", "uas_server_header.xml", local_port=port,
                      extra=["-key", "server", "Asterisk PBX 13.1.0"])
    server.start()
    server.wait_listening()
    rc, report, ids = audit(ctx, f"127.0.0.1:{port}")
    check(rc == 12, f"a vulnerable version should exit 12 (high), got {rc}")
    check(ids == ["PBX-VERSION-DISCLOSED", "PBX-VULNERABLE-VERSION"], f"findings {ids}")
    vulnerable = [f for f in report["findings"] if f["id"] == "PBX-VULNERABLE-VERSION"][0]
    check("AST-2017-005" in vulnerable["evidence"] and "CVE-2017-14099" in vulnerable["evidence"],
          f"evidence {vulnerable['evidence']}")
    check(any("AST-2017-005.html" in r for r in vulnerable["references"]),
          f"references {vulnerable['references']}")

    table = os.path.join(ctx.workdir, "table.json")
    with open(table, "w") as f:
        json.dump({"products": [{"name": "Asterisk", "pattern": "Asterisk PBX ([0-9.]+)"}],
                   "advisories": [{"product": "Asterisk", "id": "TEST-1", "cves": [],
                                   "title": "fixed in 13.0.5",
                                   "affected": [{"from": "13.0", "fixed": "13.0.5"}]}]}, f)
    rc, report, ids = audit(ctx, f"127.0.0.1:{port}", "--data", table)
    check(rc == 10 and ids == ["PBX-VERSION-DISCLOSED"],
          f"with --data (13.1.0 fixed) expected only the banner (exit 10), got {rc} {ids}")
    server.stop()
    with open(server.message_path, errors="replace") as f:
        options = f.read().count("OPTIONS sip:")
    check(options == 2, f"sipp should have seen one OPTIONS per audit (2), saw {options}")

    # 2. A PBX that gives its extensions away.
    pbx = ctx.peer("enumerating-pbx", handler=enumerating_pbx)
    rc, report, ids = audit(ctx, f"{pbx.addr[0]}:{pbx.addr[1]}", "--extension", "201")
    check(rc == 11 and ids == ["PBX-ENUMERATION"], f"expected PBX-ENUMERATION (11), got {rc} {ids}")
    times = [t for t, _, m in pbx.received if not m.is_response]
    check(len(times) == 3, f"expected OPTIONS and two REGISTERs, got {len(times)} requests")
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(all(g >= 0.2 for g in gaps), f"requests closer than 200 ms: {gaps}")

    # 3. An INVITE without credentials: routed (and cancelled), or challenged.
    router = ctx.peer("routing-pbx", handler=routing_pbx)
    rc, report, ids = audit(ctx, f"{router.addr[0]}:{router.addr[1]}", "--invite", "0044207946000")
    check(rc == 13 and ids == ["PBX-UNAUTH-INVITE"], f"routing PBX: exit {rc}, {ids}")
    check("183 Session Progress" in report["findings"][0]["evidence"], report["findings"][0])
    router.wait_for(lambda m: m.method == "ACK", timeout=3, what="the ACK of the 487")
    check(methods(router) == ["OPTIONS", "INVITE", "CANCEL", "ACK"],
          f"routing PBX saw {methods(router)}")
    answerer = ctx.peer("answering-pbx", handler=answering_pbx)
    rc, report, ids = audit(ctx, f"{answerer.addr[0]}:{answerer.addr[1]}", "--invite",
                            "0044207946000")
    check(rc == 13 and ids == ["PBX-UNAUTH-INVITE"], f"answering PBX: exit {rc}, {ids}")
    check("answered, hung up at once" in report["findings"][0]["evidence"], report["findings"][0])
    bye = answerer.wait_for(lambda m: m.method == "BYE", timeout=3, what="the BYE")
    check(bye.uri == f"sip:pbx@{answerer.addr[0]}:{answerer.addr[1]}",
          f"BYE should go to the answer's Contact, went to {bye.uri}")
    check(methods(answerer) == ["OPTIONS", "INVITE", "ACK", "BYE"],
          f"answering PBX saw {methods(answerer)}")
    challenger = ctx.peer("challenging-pbx", handler=challenging_pbx)
    rc, report, ids = audit(ctx, f"{challenger.addr[0]}:{challenger.addr[1]}", "--invite",
                            "0044207946000")
    check(rc == 0 and ids == [], f"challenging PBX: exit {rc}, {ids}")
    challenger.wait_for(lambda m: m.method == "ACK", timeout=3, what="the ACK of the 407")
    check(methods(challenger) == ["OPTIONS", "INVITE", "ACK"],
          f"challenging PBX saw {methods(challenger)}")

    # 4. trunkguard's public zone answers existing and missing users alike.
    if ctx.b2bua:
        topo = gh.public_topology()
        ctx.peer("pbx", topo.pbx_host, topo.pbx_port, handler=gh.pbx_answering)
        sut = ctx.sut(topo, extra=gh.phones_extra(topo))
        gh.add_account(ctx, sut, "201")
        sut.start()
        rc, report, ids = audit(ctx, f"{topo.host}:{topo.public_side}", "--extension", "201",
                                "--invite", "0044207946000")
        check(rc == 0 and ids == [] and report["errors"] == [],
              f"trunkguard's public zone must not enumerate: exit {rc}, {ids}, {report['errors']}")
    else:
        ctx.skip("the public zone is a trunkguard feature")

    # 5. Never a range.
    r = subprocess.run([ctx.binary, "audit", "pbx", "127.0.0.0/24"], capture_output=True,
                       text=True, timeout=10)
    check(r.returncode == 2 and "ranges, networks and lists are refused" in r.stderr,
          f"a range should be refused with exit 2: {r.returncode} {r.stderr}")


if __name__ == "__main__":
    harness.run(test)
