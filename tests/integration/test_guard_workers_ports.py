#!/usr/bin/env python3
"""Per-source limits hold with `workers: 2` however often the source changes its port
(issue 12, item 5).

The kernel would spread one source's datagrams over the workers' SO_REUSEPORT sockets by
address and port, and each worker keeps its own per-source state, so a scanner rotating its
source port got N times every limit. The gateway steers by source address, so:
1. a source on the public zone sends 20 OPTIONS at once, each from a new port, with the
   per-source OPTIONS rate at 5 a second (scanner off): exactly 5 are answered;
2. another source sends 30 OPTIONS the same way with guard.scanner.max_options 10 (rate limit
   out of the way): exactly 10 are answered, and the source is banned.
"""
import select
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag
import guard_helpers as gh  # noqa: E402

RATE_SOURCE = "127.0.0.81"
SCAN_SOURCE = "127.0.0.82"


def options_from_new_ports(source, addr, count, wait=1.5):
    """`count` OPTIONS sent at once, each from its own socket (port); how many were answered."""
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((source, 0))
        socks.append(s)
    for s in socks:
        lhost, lport = s.getsockname()
        s.sendto(build_message(f"OPTIONS sip:{addr[0]}:{addr[1]} SIP/2.0", [
            ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()};rport"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:probe@{lhost}>;tag={new_tag()}"),
            ("To", f"<sip:{addr[0]}:{addr[1]}>"),
            ("Call-ID", f"{uuid.uuid4().hex}@ports"),
            ("CSeq", "1 OPTIONS"),
        ]), addr)
    answered = set()
    deadline = time.time() + wait
    while time.time() < deadline:
        ready, _, _ = select.select(socks, [], [], 0.1)
        for s in ready:
            try:
                s.recv(65535)
                answered.add(s.getsockname()[1])
            except OSError:
                pass
    ports = {s.getsockname()[1] for s in socks}
    for s in socks:
        s.close()
    log(f"{source}: {count} OPTIONS from {len(ports)} ports, {len(answered)} answered")
    return len(answered)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("workers and per-source limits are trunkguard features")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    guard = {"scanner": {"enabled": False},
             "rate_limit": {"public": {"per_source": {"options": 5}},
                            "ban_after_violations": 0}}
    sut = ctx.sut(topo, workers=2, extra=gh.guard_extra(topo, guard=guard)).start()
    answered = options_from_new_ports(RATE_SOURCE, pub, 20)
    check(answered == 5, f"{answered} of 20 OPTIONS from rotating ports passed a per-source "
          "limit of 5 a second with 2 workers (expected exactly 5)")
    sut.stop()

    guard = {"scanner": {"max_options": 10},
             "rate_limit": {"public": {"per_source": {"options": 1000}}}}
    sut = ctx.sut(topo, name="gateway-scanner", workers=2,
                  extra=gh.guard_extra(topo, guard=guard)).start()
    answered = options_from_new_ports(SCAN_SOURCE, pub, 30)
    check(answered == 10, f"{answered} of 30 OPTIONS from rotating ports passed a scanner "
          "threshold of 10 with 2 workers (expected exactly 10)")
    gh.wait_banned(ctx, sut, SCAN_SOURCE)
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
