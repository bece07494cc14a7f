#!/usr/bin/env python3
"""SRTP on the trunk, plain RTP on the LAN: PBX -> trunkguard -> provider with `srtp: required`.

The PBX is a raw SIP peer speaking plain RTP from its own address (127.0.0.10); the provider is
a raw SIP peer that answers with SDES (RFC 4568) and protects and unprotects its media with
Debian's libsrtp2 through python3-pylibsrtp, on 127.0.0.30. The gateway's trunk-side media
address is 127.0.0.3.

1. The INVITE the provider receives offers RTP/SAVP with the gateway's own a=crypto lines; the
   200 the PBX receives is RTP/AVP without any a=crypto (the provider's key stays on its leg).
2. RTP from the PBX arrives at the provider as SRTP only: every packet unprotects with the key
   the gateway offered, payload bit-exact, and its bytes on the wire are not the plain payload.
3. SRTP from the provider arrives at the PBX as plain RTP, bit-exact.
4. A replayed and a tampered SRTP packet are dropped (the PBX never sees them) and counted.
5. A call from the provider that offers only RTP is refused with 488 and a Warning naming why.
"""
import base64
import os
import re
import select
import socket
import struct
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import media_helpers  # noqa: E402
from harness import check, log, build_message, build_response, sdp  # noqa: E402

try:
    import pylibsrtp
except ImportError:  # a pyenv python next to Debian's: the package is Debian's (abi3)
    sys.path.append("/usr/lib/python3/dist-packages")
    import pylibsrtp  # noqa: E402

PBX_MEDIA_HOST = "127.0.0.10"
TRUNK_MEDIA_HOST = "127.0.0.3"
PROVIDER_MEDIA_HOST = "127.0.0.30"
PORT_MIN, PORT_MAX = 23200, 23399
PACKETS = 50
SUITE = "AES_CM_128_HMAC_SHA1_80"
Policy = pylibsrtp.Policy


def rtp(seq, ssrc, fill):
    header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc)
    return header + bytes([(fill + i + seq) & 0xff for i in range(160)])


def sdp_field(body, pattern):
    m = re.search(pattern, body, re.M)
    return m.group(1) if m else None


def drain(sock, seconds):
    got = []
    deadline = time.time() + seconds
    while True:
        left = deadline - time.time()
        if left <= 0:
            return got
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return got
        got.append(sock.recvfrom(4096))


def session(key, ssrc_type):
    return pylibsrtp.Session(Policy(key=key, ssrc_type=ssrc_type,
                                    srtp_profile=Policy.SRTP_PROFILE_AES128_CM_SHA1_80))


class SrtpProvider:
    """Answers the gateway's INVITE with its own SDES key; keeps the SRTP sessions."""

    def __init__(self, media_sock):
        self.media_sock = media_sock
        self.key = os.urandom(30)
        self.rx = None   # unprotects what the gateway sends (the gateway's key)
        self.tx = session(self.key, Policy.SSRC_ANY_OUTBOUND)
        self.offer = None
        self.relay = None

    def handle(self, peer, msg, addr):
        if msg.is_response:
            return
        if msg.method == "INVITE":
            self.offer = msg.body
            line = None
            for m in re.finditer(r"^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", msg.body, re.M):
                if m.group(2) == SUITE and line is None:
                    line = m
            if line is None:
                peer.send(build_response(msg, 488, "Not Acceptable Here", to_tag="prov"), addr)
                return
            self.rx = session(base64.b64decode(line.group(3)), Policy.SSRC_ANY_INBOUND)
            self.relay = (sdp_field(msg.body, r"^c=IN IP4 (\S+)"),
                          int(sdp_field(msg.body, r"^m=audio (\d+) ") or 0))
            port = self.media_sock.getsockname()[1]
            body = (f"v=0\r\no=prov 1 1 IN IP4 {PROVIDER_MEDIA_HOST}\r\ns=-\r\n"
                    f"c=IN IP4 {PROVIDER_MEDIA_HOST}\r\nt=0 0\r\n"
                    f"m=audio {port} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                    f"a=crypto:{line.group(1)} {SUITE} "
                    f"inline:{base64.b64encode(self.key).decode()}\r\n")
            contact = f"<sip:prov@{peer.addr[0]}:{peer.addr[1]}>"
            peer.send(build_response(msg, 200, "OK", to_tag="prov",
                                     headers=[("Contact", contact),
                                              ("Content-Type", "application/sdp")],
                                     body=body), addr)
        elif msg.method == "BYE":
            peer.send(build_response(msg, 200, "OK"), addr)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("SRTP bridging (a proxy does not relay media)")
        return
    topo = harness.Topology()
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": topo.prov1_port,
                  "transport": "udp", "priority": 10, "allow_plaintext": True,
                  "srtp": "required"}]
    sut = ctx.sut(topo, providers=providers, extra={
        "media": {"port_min": PORT_MIN, "port_max": PORT_MAX,
                  "trunk": {"address": TRUNK_MEDIA_HOST}}}).start()

    provider_media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    provider_media.bind((PROVIDER_MEDIA_HOST, 0))
    srtp_provider = SrtpProvider(provider_media)
    prov = ctx.peer("carrier-a", topo.prov1_host, topo.prov1_port, handler=srtp_provider.handle)

    call = media_helpers.PbxDialog(ctx, topo, PBX_MEDIA_HOST)
    pbx, rtp_sock, gw, request = call.pbx, call.rtp_sock, call.gw, call.request
    call_id, ruri, to = call.call_id, call.ruri, call.to

    pbx.send(request("INVITE", ruri, 1, to,
                     sdp(PBX_MEDIA_HOST, rtp_sock.getsockname()[1], user="pbx")), gw)
    ok = pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "INVITE",
                      timeout=15, what="200 OK for the INVITE")
    pbx.send(request("ACK", ok.contact_uri(), 1, ok.header("To")), gw)
    check(prov.errors == [], f"the provider's handler failed: {prov.errors}")

    # 1. The offer at the provider and the answer at the PBX.
    offer = srtp_provider.offer or ""
    log(f"SDP at the provider:\n{offer}")
    check(re.search(r"^m=audio \d+ RTP/SAVP ", offer, re.M),
          f"the provider was not offered RTP/SAVP:\n{offer}")
    check(srtp_provider.rx is not None, f"no {SUITE} a=crypto offered to the provider")
    check(PBX_MEDIA_HOST not in offer, "the PBX's media address reached the provider")
    log(f"SDP at the PBX:\n{ok.body}")
    check("a=crypto" not in ok.body, f"a key reached the PBX:\n{ok.body}")
    check(re.search(r"^m=audio \d+ RTP/AVP ", ok.body, re.M),
          f"the PBX's answer is not RTP/AVP:\n{ok.body}")
    check(base64.b64encode(srtp_provider.key).decode() not in offer + ok.body,
          "the provider's key crossed to the other leg")
    relay_pbx = (sdp_field(ok.body, r"^c=IN IP4 (\S+)"),
                 int(sdp_field(ok.body, r"^m=audio (\d+) ") or 0))
    relay_trunk = srtp_provider.relay
    check(relay_trunk[0] == TRUNK_MEDIA_HOST, f"trunk-side relay address {relay_trunk}")

    # 2. PBX -> provider: plain in, SRTP out.
    ssrc = 0x5eed0001
    sent = {seq: rtp(seq, ssrc, 0x11) for seq in range(1, PACKETS + 1)}
    for seq, pkt in sent.items():
        rtp_sock.sendto(pkt, relay_pbx)
        time.sleep(0.02)
    at_provider = drain(provider_media, 2.0)
    log(f"{len(at_provider)} of {PACKETS} packets reached the provider")
    check(len(at_provider) >= PACKETS - 5,
          f"only {len(at_provider)} of {PACKETS} packets reached the provider")
    for wire, addr in at_provider:
        check(addr == relay_trunk, f"media reached the provider from {addr}, not the relay")
        seq = struct.unpack("!H", wire[2:4])[0]
        check(len(wire) == len(sent[seq]) + 10, f"packet {seq} is not SRTP ({len(wire)} bytes)")
        check(wire[12:172] != sent[seq][12:], f"packet {seq} crossed the trunk in the clear")
        try:
            plain = srtp_provider.rx.unprotect(wire)
        except pylibsrtp.Error as e:
            check(False, f"packet {seq} does not unprotect with the offered key: {e}")
        check(plain == sent[seq], f"packet {seq} altered on the way")

    # 3. Provider -> PBX: SRTP in, plain out.
    pssrc = 0x5eed0002
    protected = {}
    for seq in range(1000, 1000 + PACKETS):
        protected[seq] = srtp_provider.tx.protect(rtp(seq, pssrc, 0x77))
        provider_media.sendto(protected[seq], relay_trunk)
        time.sleep(0.02)
    at_pbx = drain(rtp_sock, 2.0)
    log(f"{len(at_pbx)} of {PACKETS} packets reached the PBX")
    check(len(at_pbx) >= PACKETS - 5, f"only {len(at_pbx)} of {PACKETS} packets reached the PBX")
    for data, addr in at_pbx:
        check(addr == relay_pbx, f"media reached the PBX from {addr}, not the relay")
        seq = struct.unpack("!H", data[2:4])[0]
        check(data == rtp(seq, pssrc, 0x77), f"packet {seq} is not the provider's, bit-exact")

    # 4. A replay and a tampered packet: nothing reaches the PBX.
    provider_media.sendto(protected[1010], relay_trunk)
    tampered = bytearray(protected[1020])
    tampered[40] ^= 0x01
    provider_media.sendto(bytes(tampered), relay_trunk)
    check(not drain(rtp_sock, 1.0), "a replayed or tampered SRTP packet reached the PBX")

    n = pbx.count()
    pbx.send(request("BYE", ok.contact_uri(), 2, ok.header("To")), gw)
    pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "BYE",
                 timeout=10, start=n, what="200 OK for the BYE")
    deadline = time.time() + 5
    line = None
    while time.time() < deadline and line is None:
        for text in open(sut.stdout_path).read().splitlines() + \
                open(sut.stderr_path).read().splitlines():
            if "media relayed" in text:
                line = text
        time.sleep(0.2)
    check(line is not None, "no 'media relayed' line in the gateway's log")
    log(line)
    m = re.search(r"(\d+) unauthenticated dropped", line)
    check(m and int(m.group(1)) >= 2, f"the replay and the forgery were not counted: {line}")
    check(f"B={SUITE}" in line and "A=off" in line, f"the SRTP suites are not logged: {line}")
    logs = open(sut.stdout_path).read() + open(sut.stderr_path).read()
    check(srtp_provider.key.hex() not in logs and
          base64.b64encode(srtp_provider.key).decode() not in logs,
          "the provider's key is in the log")

    rows = sut.wait_for_cdrs(lambda rs: any(r.get("a_call_id") == call_id and
                                            r.get("disposition") == "answered" and
                                            r.get("end_reason") for r in rs),
                             timeout=10, what="the SRTP call's CDR")
    cdr_media = next(r for r in rows if r.get("a_call_id") == call_id).get("media") or {}
    log(f"CDR media: {cdr_media}")
    check(cdr_media.get("srtp_b") == SUITE and cdr_media.get("srtp_a") == "",
          f"the CDR does not name the suites per leg: {cdr_media}")
    check(cdr_media.get("unauthenticated_dropped", 0) >= 2 and
          cdr_media.get("packets_a_to_b", 0) >= PACKETS - 5 and
          cdr_media.get("packets_b_to_a", 0) >= PACKETS - 5,
          f"the CDR's media counters are wrong: {cdr_media}")

    # 5. The provider calls in with plain RTP only: refused, 488 with a Warning.
    icall = uuid.uuid4().hex + "@carrier"
    hs = [("Via", f"SIP/2.0/UDP {topo.prov1_host}:{topo.prov1_port};"
                  f"branch={harness.new_branch()};rport"),
          ("Max-Forwards", "70"),
          ("From", f"<sip:+15550001111@{topo.prov1_host}>;tag=in{uuid.uuid4().hex[:6]}"),
          ("To", f"<sip:2001@{topo.host}>"),
          ("Call-ID", icall),
          ("CSeq", "1 INVITE"),
          ("Contact", f"<sip:prov@{topo.prov1_host}:{topo.prov1_port}>"),
          ("Content-Type", "application/sdp")]
    n = prov.count()
    prov.send(build_message(f"INVITE sip:2001@{topo.host}:{topo.trunk_side} SIP/2.0", hs,
                            sdp(PROVIDER_MEDIA_HOST, 40000, user="prov")),
              topo.trunk_side_addr())
    refused = prov.wait_for(lambda m: m.is_response and m.status >= 300 and m.call_id == icall,
                            timeout=10, start=n, what="a final answer to the plain-RTP call")
    log(f"plain offer from the provider: {refused.start_line} / {refused.header('Warning')}")
    check(refused.status == 488, f"a plain-RTP offer got {refused.start_line}, not 488")
    check("SRTP required" in (refused.header("Warning") or ""),
          f"the 488 has no Warning naming SRTP: {refused.header('Warning')}")
    rtp_sock.close()
    provider_media.close()


if __name__ == "__main__":
    harness.run(test)
