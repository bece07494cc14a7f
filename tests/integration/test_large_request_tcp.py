#!/usr/bin/env python3
"""RFC 3261 section 18.1.1 through the gateway (issue 21): a request the gateway sends over
UDP that is larger than 1300 bytes goes over TCP to the same host and port instead, and back
over UDP when the peer refuses TCP. Both directions: a sipp caller on one side sends a 5 KB
INVITE over UDP; the far end is a peer listening on UDP and TCP on one port (as a provider or
PBX that offers both does). The gateway has a tcp:// listener next to its udp:// one in each
zone (docs/configuration.md, "Large requests over TCP").

1. The callee gets the INVITE over TCP (Via SIP/2.0/TCP naming the gateway's tcp listener),
   answers on that connection; the small ACK and BYE come over UDP as before; the call is
   answered and its CDR says so.
2. The callee stops taking TCP (connection refused): the next large INVITE arrives over UDP
   with its UDP Via, whole, and the call completes; the gateway logs the refusal.

    python3 tests/integration/test_large_request_tcp.py --binary build/trunkguard
"""
import os
import select
import socket
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log  # noqa: E402


class DualPeer:
    """A UAS on one loopback port over UDP and TCP: answers INVITE 200 (with SDP) and BYE 200
    on the transport the request came over (on the same connection for TCP, RFC 3261 18.2.2),
    and records (transport, SipMessage) for every request."""

    def __init__(self, name, host, port):
        self.name = name
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.udp.bind((host, port))
        self.tcp = None
        self.conns = []
        self.host, self.port = host, port
        self.received = []  # (transport, SipMessage)
        self.errors = []
        self._lock = threading.Condition()
        self._stop = threading.Event()
        self.open_tcp()
        self._thread = threading.Thread(target=self._loop, name=f"dual-{name}", daemon=True)
        self._thread.start()

    def open_tcp(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(8)
        with self._lock:
            self.tcp = s

    def close_tcp(self):
        """Stops taking TCP: the listener and every accepted connection close (a connect to
        the port is then refused)."""
        with self._lock:
            for c, _ in self.conns:
                c.close()
            self.conns = []
            if self.tcp is not None:
                self.tcp.close()
                self.tcp = None

    def _answer(self, transport, msg, reply):
        with self._lock:
            self.received.append((transport, msg))
            self._lock.notify_all()
        if msg.is_response or msg.method == "ACK":
            return
        if msg.method == "INVITE":
            body = harness.sdp(port=41000)
            reply(harness.build_response(msg, 200, "OK", to_tag="dualpeer1", headers=[
                ("Contact", f"<sip:callee@{self.host}:{self.port}>"),
                ("Content-Type", "application/sdp")], body=body))
        else:
            reply(harness.build_response(msg, 200, "OK", to_tag="dualpeer1"))

    def _loop(self):
        while not self._stop.is_set():
            with self._lock:
                socks = [self.udp] + ([self.tcp] if self.tcp else []) + [c for c, _ in self.conns]
            try:
                ready, _, _ = select.select(socks, [], [], 0.05)
            except (OSError, ValueError):
                continue
            for s in ready:
                try:
                    self._ready(s)
                except OSError:
                    pass
                except Exception:
                    self.errors.append(traceback.format_exc())

    def _ready(self, s):
        if s is self.udp:
            data, addr = self.udp.recvfrom(65535)
            if data.strip():
                self._answer("udp", harness.SipMessage(data),
                             lambda b: self.udp.sendto(b, addr))
            return
        if s is self.tcp:
            c, _ = self.tcp.accept()
            with self._lock:
                self.conns.append((c, bytearray()))
            return
        entry = next((e for e in self.conns if e[0] is s), None)
        if entry is None:
            return
        data = s.recv(65535)
        if not data:
            with self._lock:
                self.conns.remove(entry)
            s.close()
            return
        buf = entry[1]
        buf += data
        while True:  # RFC 3261 18.3 framing: headers, then Content-Length bytes
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = harness.SipMessage(bytes(buf[:end + 4]))
            length = int(head.header("Content-Length", "0") or 0)
            if len(buf) < end + 4 + length:
                return
            raw = bytes(buf[:end + 4 + length])
            del buf[:end + 4 + length]
            self._answer("tcp", harness.SipMessage(raw), lambda b: s.sendall(b))

    def requests(self, method):
        with self._lock:
            return [(t, m) for t, m in self.received if m.method == method]

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.close_tcp()
        self.udp.close()


def one_call(ctx, sut, tag, caller, callee, peer, want_transport, gateway_side):
    """Runs one large-INVITE call; returns the INVITE the peer got."""
    before = len(peer.requests("INVITE"))
    uac = ctx.sipp(f"{tag}-uac", "flow_uac_large.xml", local_ip=caller[0],
                   local_port=caller[1], remote=caller[2], service=caller[3], calls=1,
                   timeout_s=20)
    uac.start()
    r = uac.wait()
    log(f"    {r.describe()}")
    harness.expect_calls(r, 1, what="caller")
    sent = uac.sent("INVITE")
    check(sent and len(sent[0].raw) > 1300, "the caller's INVITE is not large")
    invites = peer.requests("INVITE")[before:]
    check(len(invites) >= 1, f"{peer.name} got no INVITE")
    transport, invite = invites[0]
    log(f"    {peer.name} got the INVITE over {transport}: {len(invite.raw)} bytes, "
        f"Via {invite.header('Via')!r}")
    check(len(invite.raw) > 1300, f"the INVITE to {peer.name} is {len(invite.raw)} bytes")
    check(transport == want_transport,
          f"the {len(invite.raw)}-byte INVITE reached {peer.name} over {transport}, expected "
          f"{want_transport}")
    via = invite.header_all("Via")[0]
    want_via = f"SIP/2.0/{want_transport.upper()} 127.0.0.1:{gateway_side};"
    check(via.startswith(want_via), f"top Via {via!r}, expected it to start {want_via!r}")
    check(all(t == want_transport for t, _ in invites),
          f"the INVITE went over more than one transport: {[t for t, _ in invites]}")
    call_id = invite.call_id
    for method in ("ACK", "BYE"):
        got = [(t, m) for t, m in peer.requests(method) if m.call_id == call_id]
        check(got, f"{peer.name} got no {method} for the call")
        check(got[0][0] == "udp", f"the small {method} went over {got[0][0]}, not UDP")
    a_ids = {m.call_id for m in uac.sent()}
    rows = sut.wait_for_cdrs(lambda rs: any(
        x.get("a_call_id") in a_ids and x.get("disposition") != "in-progress" for x in rs),
        timeout=6, what="the call's CDR")
    row = next(x for x in rows if x.get("a_call_id") in a_ids)
    check(row.get("disposition") == "answered" and row.get("sip_code") == 200,
          f"CDR {row.get('disposition')} {row.get('sip_code')}")
    return invite


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("a proxy forwards over the transport it is told; this is the B2BUA's send path")
        return
    topo = harness.Topology()
    extra = {
        "pbx": {"listen": [f"udp://{topo.host}:{topo.pbx_side}",
                           f"tcp://{topo.host}:{topo.pbx_side}"],
                "targets": [{"host": topo.pbx_host, "port": topo.pbx_port, "transport": "udp"}]},
        "trunk": {"listen": [f"udp://{topo.host}:{topo.trunk_side}",
                             f"tcp://{topo.host}:{topo.trunk_side}"]},
    }
    sut = ctx.sut(topo, extra=extra).start()
    directions = [
        ("outbound", (topo.pbx_host, topo.pbx_port, topo.pbx_side_addr(), topo.dialled),
         (topo.prov1_host, topo.prov1_port), topo.trunk_side),
        ("inbound", (topo.prov1_host, topo.prov1_port, topo.trunk_side_addr(), "2001"),
         (topo.pbx_host, topo.pbx_port), topo.pbx_side),
    ]
    for direction, caller, callee, gateway_side in directions:
        peer = DualPeer(f"callee-{direction}", *callee)
        try:
            log(f"--- {direction}: the callee takes UDP and TCP")
            one_call(ctx, sut, f"{direction}-tcp", caller, callee, peer, "tcp", gateway_side)
            log(f"--- {direction}: the callee refuses TCP")
            peer.close_tcp()
            time.sleep(0.3)  # the gateway sees its connection close
            one_call(ctx, sut, f"{direction}-refused", caller, callee, peer, "udp",
                     gateway_side)
            check(not peer.errors, "peer errors:\n" + "\n".join(peer.errors))
        finally:
            peer.close()
    with open(sut.stderr_path) as f:
        logs = f.read() + open(sut.stdout_path).read()
    check("refused TCP for a request over 1300 bytes" in logs,
          "the gateway did not log the refused TCP")
    check(sut.alive(), "the gateway died")


if __name__ == "__main__":
    harness.run(test)
