#!/usr/bin/env python3
"""Media anchoring with real RTP: PBX -> trunkguard -> provider.

The provider is sipp (uas_basic.xml) echoing the RTP it receives (-rtp_echo); the PBX is a raw
SIP peer with an RTP socket on its own address (127.0.0.10), so that a leak of the PBX's media
address is visible. The gateway's trunk-side media address is 127.0.0.3 (media.trunk.address).

1. The INVITE the provider receives carries only the gateway's addresses in its SDP (c=, o=):
   never the PBX's; the 200 the PBX receives carries the PBX-side relay address.
2. RTP from the PBX reaches the provider through the relay and its echo comes back the same
   way, payload bit-exact; only the first packets (latching probation) are missing.
3. A third party spraying the whole media port range during the call gets nothing back and
   injects nothing (the PBX never sees its payload); the relay counts its packets as foreign.
4. The PBX hangs up; the call's media counters are logged with its uuid.
"""
import re
import select
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import media_helpers  # noqa: E402
from harness import check, log, sdp  # noqa: E402

PBX_MEDIA_HOST = "127.0.0.10"
TRUNK_MEDIA_HOST = "127.0.0.3"
ATTACKER_HOST = "127.0.0.20"
# Below the ephemeral range, so the spray meets no other program on this loopback.
PORT_MIN, PORT_MAX = 23000, 23199
PACKETS = 60


def rtp(seq, ssrc, fill):
    header = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc)
    return header + bytes([fill ^ (seq & 0xff)]) * 160


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
        data, addr = sock.recvfrom(4096)
        got.append((data, addr))


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("media anchoring (a proxy does not relay media)")
        return
    topo = harness.Topology()
    sut = ctx.sut(topo, extra={"media": {"port_min": PORT_MIN, "port_max": PORT_MAX,
                                         "trunk": {"address": TRUNK_MEDIA_HOST}}}).start()
    provider_media_port = harness.free_port()
    uas = ctx.sipp("provider1", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=60,
                   extra=["-rtp_echo", "-mp", str(provider_media_port)])
    uas.start()
    uas.wait_listening()

    call = media_helpers.PbxDialog(ctx, topo, PBX_MEDIA_HOST)
    pbx, rtp_sock, gw, request = call.pbx, call.rtp_sock, call.gw, call.request
    ruri, to = call.ruri, call.to
    pbx_rtp_port = rtp_sock.getsockname()[1]

    pbx.send(request("INVITE", ruri, 1, to, sdp(PBX_MEDIA_HOST, pbx_rtp_port, user="pbx")), gw)
    ok = pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "INVITE",
                      timeout=15, what="200 OK for the INVITE")
    relay_ip = sdp_field(ok.body, r"^c=IN IP4 (\S+)")
    relay_port = int(sdp_field(ok.body, r"^m=audio (\d+) ") or 0)
    check(relay_ip == topo.host, f"the PBX's 200 names {relay_ip!r}, not the pbx-side relay "
                                 f"address {topo.host}:\n{ok.body}")
    check(PORT_MIN <= relay_port <= PORT_MAX, f"relay port {relay_port} outside the range")
    check(str(provider_media_port) not in ok.body, "the provider's media port reached the PBX")
    pbx.send(request("ACK", ok.contact_uri(), 1, ok.header("To")), gw)

    # 1. What the provider saw.
    invites = uas.received("INVITE")
    deadline = time.time() + 5
    while not invites and time.time() < deadline:
        time.sleep(0.2)
        invites = uas.received("INVITE")
    check(invites, "the provider's message trace has no INVITE")
    body = invites[0].body
    log(f"SDP at the provider:\n{body}")
    check(PBX_MEDIA_HOST not in body, f"the PBX's media address reached the provider:\n{body}")
    check(sdp_field(body, r"^c=IN IP4 (\S+)") == TRUNK_MEDIA_HOST,
          f"the provider's c= is not the trunk-side relay address:\n{body}")
    check(sdp_field(body, r"^o=\S+ \S+ \S+ IN IP4 (\S+)") == TRUNK_MEDIA_HOST,
          f"the provider's o= is not the trunk-side relay address:\n{body}")
    trunk_port = int(sdp_field(body, r"^m=audio (\d+) ") or 0)
    check(PORT_MIN <= trunk_port <= PORT_MAX, f"trunk-side relay port {trunk_port} outside the range")

    # 2. Media both ways, bit-exact.
    ssrc = 0x5eed1234
    sent = {}
    for seq in range(1, PACKETS + 1):
        pkt = rtp(seq, ssrc, 0x5a)
        sent[seq] = pkt
        rtp_sock.sendto(pkt, (relay_ip, relay_port))
        time.sleep(0.02)
    echoed = drain(rtp_sock, 2.0)
    log(f"{len(echoed)} of {PACKETS} packets came back through the relay")
    check(len(echoed) >= PACKETS - 10,
          f"only {len(echoed)} of {PACKETS} RTP packets came back (expected all but the "
          f"probation packets of each leg)")
    for data, addr in echoed:
        check(addr == (relay_ip, relay_port), f"RTP came back from {addr}, not the relay")
        seq = struct.unpack("!H", data[2:4])[0]
        check(sent.get(seq) == data, f"packet {seq} came back altered")

    # 3. A third party sprays the whole range, during the call.
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind((ATTACKER_HOST, 0))
    evil_ssrc = 0x0badf00d
    for rounds in range(3):
        for port in range(PORT_MIN, PORT_MAX + 1):
            attacker.sendto(rtp(rounds * 2 + 1, evil_ssrc, 0xee), (TRUNK_MEDIA_HOST, port))
            attacker.sendto(rtp(rounds * 2 + 1, evil_ssrc, 0xee), (topo.host, port))
    # Keep the PBX talking meanwhile: the legitimate flow must go on.
    for seq in range(PACKETS + 1, PACKETS + 21):
        rtp_sock.sendto(rtp(seq, ssrc, 0x5a), (relay_ip, relay_port))
        time.sleep(0.02)
    at_pbx = drain(rtp_sock, 1.5)
    at_attacker = drain(attacker, 0.5)
    check(not at_attacker, f"the attacker got {len(at_attacker)} packets back")
    injected = [d for d, _ in at_pbx if struct.unpack("!I", d[8:12])[0] == evil_ssrc]
    check(not injected, f"{len(injected)} injected packets reached the PBX")
    check(len(at_pbx) >= 15, f"the call's own media stopped during the spray ({len(at_pbx)})")

    # 4. Hang up; the counters are logged.
    n = pbx.count()
    pbx.send(request("BYE", ok.contact_uri(), 2, ok.header("To")), gw)
    pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "BYE",
                 timeout=10, start=n, what="200 OK for the BYE")
    uas.wait(30)
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
    m = re.search(r"(\d+) foreign dropped", line)
    check(m and int(m.group(1)) >= 2, f"the spray was not counted as foreign: {line}")
    m = re.search(r"A->B (\d+) packets", line)
    check(m and int(m.group(1)) >= PACKETS - 5, f"A->B packets not counted: {line}")
    rtp_sock.close()
    attacker.close()


if __name__ == "__main__":
    harness.run(test)
