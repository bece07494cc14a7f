#!/usr/bin/env python3
"""NAT keep-alives of remote phones over UDP (RFC 5626 §4.4.2): a STUN Binding request sent to
the public SIP port is answered with the address the gateway sees (XOR-MAPPED-ADDRESS, checked
by decoding it here); a request that is not a keep-alive (it carries USERNAME) and a CRLF
keep-alive get silence; a banned source gets silence too.
"""
import os
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
import guard_helpers as gh  # noqa: E402

COOKIE = 0x2112A442
PHONE = "127.0.0.5"


def binding_request(attributes=b""):
    tid = os.urandom(12)
    return tid, struct.pack("!HHI", 0x0001, len(attributes), COOKIE) + tid + attributes


def ask(addr, request, timeout=1.0):
    """Sends `request` from PHONE; returns (reply, our port) or (None, our port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PHONE, 0))
    s.settimeout(timeout)
    port = s.getsockname()[1]
    try:
        s.sendto(request, addr)
        return s.recvfrom(2048)[0], port
    except socket.timeout:
        return None, port
    finally:
        s.close()


def mapped_address(reply, tid):
    """The (ip, port) of a Binding success response's XOR-MAPPED-ADDRESS."""
    check(len(reply) >= 20, f"short STUN reply {reply!r}")
    kind, length, cookie = struct.unpack("!HHI", reply[:8])
    check(kind == 0x0101 and cookie == COOKIE, f"not a Binding success response: {reply!r}")
    check(reply[8:20] == tid, "the response's transaction ID is not the request's")
    body = reply[20:20 + length]
    while body:
        atype, alen = struct.unpack("!HH", body[:4])
        value = body[4:4 + alen]
        if atype == 0x0020:
            family = value[1]
            check(family == 1, f"family {family} for an IPv4 source")
            port = struct.unpack("!H", value[2:4])[0] ^ (COOKIE >> 16)
            ip = struct.unpack("!I", value[4:8])[0] ^ COOKIE
            return socket.inet_ntoa(struct.pack("!I", ip)), port
        body = body[4 + ((alen + 3) & ~3):]
    raise harness.TestFailure(f"no XOR-MAPPED-ADDRESS in {reply!r}")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("STUN keep-alives on the SIP port are a trunkguard feature")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    sut = ctx.sut(topo, extra=gh.guard_extra(topo)).start()

    tid, request = binding_request()
    reply, port = ask(pub, request, timeout=3.0)
    check(reply is not None, "the STUN keep-alive was not answered")
    seen = mapped_address(reply, tid)
    log(f"the gateway saw the phone at {seen}")
    check(seen == (PHONE, port), f"XOR-MAPPED-ADDRESS {seen}, expected {(PHONE, port)}")

    # USERNAME (0x0006) asks for an authenticated exchange: not a keep-alive.
    _, with_username = binding_request(struct.pack("!HH", 0x0006, 4) + b"user")
    check(ask(pub, with_username)[0] is None, "a STUN request with USERNAME was answered")
    check(ask(pub, b"\r\n\r\n", timeout=0.5)[0] is None, "a CRLF keep-alive over UDP was answered")

    gh.trunkguard_cli(ctx, "ban", "add", PHONE, "--reason", "test", "--db", sut.db_path,
                      "--local-root")
    deadline = time.time() + 10
    while ask(pub, binding_request()[1], timeout=0.3)[0] is not None:
        check(time.time() < deadline, "a banned source's STUN keep-alive is still answered")
        time.sleep(0.3)
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
