#!/usr/bin/env python3
"""Media inactivity timeout (media.timeout_s): PBX -> trunkguard -> provider.

The provider is sipp (uas_basic.xml) echoing the RTP it receives (-rtp_echo); the PBX is a raw
SIP peer with an RTP socket. media.timeout_s is 2.

1. While the PBX sends RTP (for three times the timeout), the call goes on: no BYE anywhere.
2. A burst far above media.max_packets_per_s (100) is cut to the ceiling and reported as one
   security event (rule media.rate_ceiling), however many packets it dropped: a second burst
   adds no event.
3. The PBX stops sending: the gateway ends the call with a BYE on both legs (the PBX answers
   its BYE; sipp's scenario, which waits for a BYE, succeeds).
4. The CDR says answered, ended by the gateway with cause media-timeout.
"""
import re
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers  # noqa: E402
import harness  # noqa: E402
import media_helpers  # noqa: E402
from harness import check, log, build_response, sdp  # noqa: E402

PBX_MEDIA_HOST = "127.0.0.10"
PORT_MIN, PORT_MAX = 23600, 23699
TIMEOUT_S = 2


def rtp(seq, ssrc):
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + bytes([0x5a]) * 160


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("media inactivity timeout (a proxy does not relay media)")
        return
    topo = harness.Topology()
    sut = ctx.sut(topo, extra={"media": {"port_min": PORT_MIN, "port_max": PORT_MAX,
                                         "timeout_s": TIMEOUT_S,
                                         "max_packets_per_s": 100}}).start()
    provider_media_port = harness.free_port()
    uas = ctx.sipp("provider1", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=1, timeout_s=60,
                   extra=["-rtp_echo", "-mp", str(provider_media_port)])
    uas.start()
    uas.wait_listening()

    call = media_helpers.PbxDialog(ctx, topo, PBX_MEDIA_HOST)
    pbx, rtp_sock, gw, request = call.pbx, call.rtp_sock, call.gw, call.request
    call_id, ruri, to = call.call_id, call.ruri, call.to

    pbx.send(request("INVITE", ruri, 1, to, sdp(PBX_MEDIA_HOST, rtp_sock.getsockname()[1],
                                                user="pbx")), gw)
    ok = pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "INVITE",
                      timeout=15, what="200 OK for the INVITE")
    relay = (re.search(r"^c=IN IP4 (\S+)", ok.body, re.M).group(1),
             int(re.search(r"^m=audio (\d+) ", ok.body, re.M).group(1)))
    pbx.send(request("ACK", ok.contact_uri(), 1, ok.header("To")), gw)
    n = pbx.count()

    def bye_to_pbx():
        return [m for m in pbx.messages()[n:] if not m.is_response and m.method == "BYE"]

    # 1. Media flows for three times the timeout: the call stays up.
    ssrc = 0x7157ab1e
    seq = 0
    echoed = 0
    until = time.time() + 3 * TIMEOUT_S
    rtp_sock.setblocking(False)
    while time.time() < until:
        seq += 1
        rtp_sock.sendto(rtp(seq, ssrc), relay)
        time.sleep(0.02)
        try:
            while rtp_sock.recv(2048):
                echoed += 1
        except BlockingIOError:
            pass
    log(f"{seq} RTP packets sent, {echoed} echoed back through the relay")
    check(echoed > seq // 2, f"the media did not flow ({echoed} of {seq} echoed)")
    check(not bye_to_pbx(), "the gateway ended a call whose media was flowing")
    check(not uas.received("BYE"), "the provider got a BYE while the media was flowing")

    steady = seq  # sent below the ceiling: every one reaches the relay

    # 2. Two bursts above the ceiling: one event.
    def ceiling_events():
        return [e for e in guard_helpers.events(ctx, sut) if e.get("rule") == "media.rate_ceiling"]

    for burst in range(2):
        for _ in range(400):
            seq += 1
            rtp_sock.sendto(rtp(seq, ssrc), relay)
        deadline = time.time() + 5
        while time.time() < deadline and not ceiling_events():
            time.sleep(0.2)
        time.sleep(1.5)  # a tick of the worker after the burst
        events = ceiling_events()
        log(f"after burst {burst + 1}: {events}")
        check(len(events) == 1, f"expected one media.rate_ceiling event, got {len(events)}")
    check(PBX_MEDIA_HOST in events[0].get("source", ""),
          f"the event does not name the PBX's media address: {events[0]}")

    # 3. Silence: the gateway ends the call on both legs.
    bye = pbx.wait_for(lambda m: not m.is_response and m.method == "BYE", timeout=5 * TIMEOUT_S,
                       start=n, what="the gateway's BYE after the media stopped")
    pbx.send(build_response(bye, 200, "OK"), gw)
    result = uas.wait(30)
    harness.expect_calls(result, 1, what="the provider's leg ended by the gateway's BYE")

    # 4. The CDR.
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("a_call_id") == call_id and
                                            r.get("end_reason") for r in rs),
                             what="the CDR of the silent call")
    row = next(r for r in rows if r.get("a_call_id") == call_id)
    log(f"CDR: {row.get('disposition')} {row.get('sip_code')} {row.get('end_reason')}")
    check(row.get("disposition") == "answered", f"the CDR is not answered: {row}")
    check((row.get("end_reason") or "").startswith("ended-by-gateway: media-timeout"),
          f"the CDR's end reason is not the media timeout: {row.get('end_reason')!r}")
    media = row.get("media") or {}
    # A burst sent back to back can overflow the relay socket's kernel buffer on a loaded
    # machine, so of the burst only "some dropped at the ceiling" is certain.
    counted = media.get("packets_a_to_b", 0) + media.get("over_rate_dropped", 0)
    check(media.get("over_rate_dropped", 0) > 0 and steady - 10 <= counted <= seq,
          f"the CDR's media counters do not match the packets sent ({steady} steady, {seq} in "
          f"all): {media}")
    rtp_sock.close()


if __name__ == "__main__":
    harness.run(test)
