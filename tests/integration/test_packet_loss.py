#!/usr/bin/env python3
"""Calls complete over lossy hops: retransmissions on both legs.

A seeded relay (harness.LossyRelay) on each leg drops 10% of the datagrams in each direction
(never more than 2 in a row, so every retransmission chain gets through eventually):

    sipp UAC --relay(10%)--> gateway --relay(10%)--> sipp UAS

The callee's Contact points at its relay, so in-dialog requests (ACK, BYE) cross it too.
This exercises the gateway's INVITE server transaction absorbing retransmissions, 2xx
retransmitted until the ACK (RFC 3261 §13.3.1.4), an ACK regenerated for a retransmitted
2xx, BYE retransmissions (Timer E) and responses re-sent for retransmitted requests.
20 calls PBX -> provider and 10 provider -> PBX must all succeed, and the relays must
really have dropped messages on the way.

Loss makes late duplicates legitimate (an ACK for a retransmitted 200 that arrives after the
BYE, a 200 retransmitted before the ACK got through), so here sipp continues a call on an
unexpected message instead of aborting it (`-default_behaviors all,-abortunexp`); every such
message is listed in the output, and every call must still complete on both sides.
"""
import re

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

LOSS = 0.10


def lossy_calls(ctx, name, uac_ip, callee_addr, gateway_addr, service, calls, seed):
    """uac -> relay A -> gateway_addr; gateway -> callee_addr (= relay B front) -> UAS."""
    uas_port = harness.free_port(callee_addr[0])
    relay_b = ctx.relay(f"{name}-callee", callee_addr, (callee_addr[0], uas_port), loss=LOSS,
                        seed=seed)
    relay_a_port = harness.free_port(uac_ip)
    relay_a = ctx.relay(f"{name}-caller", (uac_ip, relay_a_port), gateway_addr, loss=LOSS,
                        seed=seed + 100)
    tolerant = ["-default_behaviors", "all,-abortunexp"]
    uas = ctx.sipp(f"{name}-uas", "uas_basic.xml", local_ip=callee_addr[0], local_port=uas_port,
                   contact=f"{callee_addr[0]}:{callee_addr[1]}", calls=calls, duration_ms=4000,
                   timeout_s=150, extra=tolerant)
    uac = ctx.sipp(f"{name}-uac", "uac_basic.xml", local_ip=uac_ip,
                   local_port=harness.free_port(uac_ip), remote=(uac_ip, relay_a_port),
                   service=service, calls=calls, rate=5, duration_ms=1000, timeout_s=150,
                   extra=tolerant)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas], uas_timeout=60)
    log(uac_r.describe())
    log(uas_r.describe())
    log(relay_a.describe())
    log(relay_b.describe())
    for sipp in (uac, uas):
        try:
            with open(sipp.error_path, errors="replace") as f:
                late = re.findall(r"Continuing call on unexpected message.*?(while [^,]*), "
                                  r"received '([^\r\n']*)", f.read())
        except OSError:
            late = []
        for where, first_line in late:
            log(f"{sipp.name}: late duplicate {where}: {first_line}")
    harness.expect_calls(uac_r, calls, what=f"{name}: caller with {LOSS:.0%} loss")
    harness.expect_calls(uas_r, calls, what=f"{name}: callee with {LOSS:.0%} loss")
    dropped = sum(relay_a.dropped.values()) + sum(relay_b.dropped.values())
    check(dropped >= calls // 2, f"{name}: the relays dropped only {dropped} messages; the "
          "test did not exercise retransmission")
    relay_a.close()
    relay_b.close()


def test(ctx):
    topo = harness.Topology()
    # Provider and PBX addresses in the gateway's config are the relays' front addresses.
    ctx.sut(topo).start()
    lossy_calls(ctx, "outbound", topo.pbx_host, (topo.prov1_host, topo.prov1_port),
                topo.pbx_side_addr(), topo.dialled, 20, seed=7)
    lossy_calls(ctx, "inbound", topo.prov1_host, (topo.pbx_host, topo.pbx_port),
                topo.trunk_side_addr(), "2001", 10, seed=11)


if __name__ == "__main__":
    harness.run(test)
