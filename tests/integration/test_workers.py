#!/usr/bin/env python3
"""Two workers: calls are sharded by Call-ID and every message of a call reaches its owner.

With `workers: 2` the UDP listeners are SO_REUSEPORT sockets on both workers, and the kernel
picks one per source. Each call lives on the worker its Call-ID hashes to (B legs get Call-IDs
that hash to the same worker), so messages that arrive on the other worker are handed over.
1. 40 outbound calls over UDP; half the calls hang up from each side.
2. The PBX over TCP (connections live on worker 0): 10 calls.
3. Inbound calls provider -> PBX: 10 calls.
Checks: every call succeeds and every CDR is answered and ended (nothing left on a worker).
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def calls(ctx, name, uas_args, uac_args, count):
    uas = ctx.sipp(f"{name}-uas", calls=count, timeout_s=60, **uas_args)
    uac = ctx.sipp(f"{name}-uac", calls=count, rate=20, duration_ms=200, timeout_s=60,
                   **uac_args)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    harness.expect_calls(uac_r, count, what=f"{name} (caller)")
    harness.expect_calls(uas_r, count, what=f"{name} (callee)")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("workers are a trunkguard setting")
        return
    topo = harness.Topology()
    sut = ctx.sut(topo, workers=2).start()
    calls(ctx, "out",
          dict(scenario="uas_basic.xml", local_ip=topo.prov1_host, local_port=topo.prov1_port),
          dict(scenario="uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
               remote=topo.pbx_side_addr(), service=topo.dialled), 20)
    calls(ctx, "out-bye-from-provider",
          dict(scenario="uas_bye.xml", local_ip=topo.prov1_host, local_port=topo.prov1_port,
               duration_ms=200),
          dict(scenario="uac_recv_bye.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
               remote=topo.pbx_side_addr(), service=topo.dialled), 20)
    calls(ctx, "in",
          dict(scenario="uas_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port),
          dict(scenario="uac_basic.xml", local_ip=topo.prov1_host, local_port=topo.prov1_port,
               remote=topo.trunk_side_addr(), service="2001"), 10)
    sut.stop()

    tcp = harness.Topology(pbx_transport="tcp")
    sut2 = ctx.sut(tcp, name="gateway-tcp", workers=2,
                   db_path=os.path.join(ctx.workdir, "cdr-tcp.db")).start()
    calls(ctx, "pbx-tcp",
          dict(scenario="uas_basic.xml", local_ip=tcp.prov1_host, local_port=tcp.prov1_port),
          dict(scenario="uac_basic.xml", transport="t1", local_ip=tcp.pbx_host,
               local_port=tcp.pbx_port, remote=tcp.pbx_side_addr(), service=tcp.dialled), 10)
    rows = sut2.wait_for_cdrs(lambda rs: len(rs) >= 10 and all(
        r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
        what="10 answered, ended CDRs over TCP")
    check(len(rows) == 10, f"expected 10 CDRs, got {len(rows)}")
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 50 and all(
        r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
        what="50 answered, ended CDRs")
    check(sum(r.get("direction") == "inbound" for r in rows) == 10, "expected 10 inbound CDRs")


if __name__ == "__main__":
    harness.run(test)
