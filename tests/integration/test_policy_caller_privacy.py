#!/usr/bin/env python3
"""Caller-ID spoofing through Privacy (issue 12, item 1), with raw UDP peers as the PBX and
the provider: own numbers +1212555*, caller_id action reject.

1. Privacy: id with a spoofed From user: 403, and nothing reaches the provider.
2. A malformed Privacy header: 400 "Malformed Privacy Header", nothing reaches the provider.
3. Privacy: id with one of our numbers: the provider gets From
   "Anonymous" <sip:anonymous@anonymous.invalid>, Privacy: id and our number in
   P-Asserted-Identity (RFC 3325), and the number appears nowhere else.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag, sdp

OWN = "+12125550123"
SPOOFED = "+442079460000"
DIALLED = "12125550100"

POLICY = {
    "enabled": True,
    "numbering": {"pbx": {"country": "US"}},
    "default_action": {"pbx": "deny"},
    "own_numbers": ["+1212555*"],
    "caller_id": {"action": "reject"},
    "rules": [{"name": "domestic", "prefixes": ["+1"], "action": "allow"}],
}


def provider_busy(peer, msg, addr):
    """A provider that answers every call 486 and acknowledges everything else."""
    if msg.is_response:
        return
    if msg.method == "INVITE":
        peer.send(harness.build_response(msg, 486, "Busy Here", to_tag=new_tag()), addr)
    elif msg.method in ("BYE", "CANCEL", "OPTIONS"):
        peer.send(harness.build_response(msg, 200, "OK"), addr)


def call(topo, pbx, caller, headers):
    """An INVITE from the PBX; returns its final response."""
    lhost, lport = pbx.addr
    gw = topo.pbx_side_addr()
    hs = [("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
          ("Max-Forwards", "70"),
          ("From", f"\"Alice\" <sip:{caller}@{lhost}>;tag={new_tag()}"),
          ("To", f"<sip:{DIALLED}@{gw[0]}>"),
          ("Call-ID", f"{new_tag()}@{lhost}"),
          ("CSeq", "1 INVITE"),
          ("Contact", f"<sip:{caller}@{lhost}:{lport}>"),
          ("Content-Type", "application/sdp")] + headers
    n = pbx.count()
    pbx.send(build_message(f"INVITE sip:{DIALLED}@{gw[0]}:{gw[1]} SIP/2.0", hs, sdp()), gw)
    final = pbx.wait_for(lambda m: m.is_response and m.status >= 200, timeout=10, start=n,
                         what="a final response")
    log(f"From {caller} with {headers}: {final.summary()}")
    return final


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the caller-ID policy is a trunkguard feature")
        return
    topo = harness.Topology()
    provider = ctx.peer("carrier-a", topo.prov1_host, topo.prov1_port, handler=provider_busy)
    ctx.peer("carrier-b", topo.prov2_host, topo.prov2_port, handler=provider_busy)
    pbx = ctx.peer("pbx", topo.pbx_host, topo.pbx_port)
    sut = ctx.sut(topo, extra={"policy": POLICY}).start()

    def invites():
        return [m for m in provider.messages() if m.method == "INVITE"]

    r = call(topo, pbx, SPOOFED, [("Privacy", "id")])
    check(r.status == 403, f"Privacy: id with a spoofed From must be refused, got {r.summary()}")
    r = call(topo, pbx, SPOOFED, [("Privacy", "id;bogus")])
    check(r.status == 400 and r.reason == "Malformed Privacy Header",
          f"a malformed Privacy must get 400, got {r.summary()}")
    check(not invites(), f"a refused call reached the provider: {invites()}")

    r = call(topo, pbx, OWN, [("Privacy", "id")])
    check(r.status == 486, f"the anonymous call must reach the provider, got {r.summary()}")
    inv = invites()
    check(len(inv) == 1, f"the provider got {len(inv)} INVITEs, expected 1")
    inv = inv[0]
    log(f"the provider's INVITE: From {inv.header('From')!r}, Privacy "
        f"{inv.header('Privacy')!r}, P-Asserted-Identity {inv.header('P-Asserted-Identity')!r}")
    check("<sip:anonymous@anonymous.invalid>" in (inv.header("From") or ""),
          f"From must be anonymous, got {inv.header('From')!r}")
    check(inv.header("Privacy") == "id", f"Privacy must be kept, got {inv.header('Privacy')!r}")
    check(f"sip:{OWN}@" in (inv.header("P-Asserted-Identity") or ""),
          f"P-Asserted-Identity must carry {OWN}, got {inv.header('P-Asserted-Identity')!r}")
    check("Alice" not in inv.raw,
          "the caller's display name leaked to the provider")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
