#!/usr/bin/env python3
"""Transport interworking: the PBX speaks TCP, the providers UDP.

1. sipp UAC (PBX) over TCP (-t t1) -> gateway PBX listener (tcp) -> carrier-a over UDP;
   10 calls, the PBX hangs up.
2. 5 calls where carrier-a hangs up: the gateway sends the BYE to the PBX over TCP.
3. carrier-a over UDP -> gateway -> PBX over TCP (the gateway opens the connection to the
   PBX target); 5 calls.
Checks: all calls succeed; messages the PBX received came over TCP (sipp's trace says so);
CDRs answered.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log


def test(ctx):
    topo = harness.Topology(pbx_transport="tcp", trunk_transport="udp")
    sut = ctx.sut(topo).start()

    uas = ctx.sipp("carrier-a", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=10, timeout_s=60)
    uac = ctx.sipp("pbx-tcp", "uac_basic.xml", transport="t1", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                   service=topo.dialled, calls=10, rate=10, duration_ms=500, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 10, what="PBX over TCP -> provider over UDP")
    harness.expect_calls(uas_r, 10, what="provider over UDP")
    with open(uac.message_path, errors="replace") as f:
        trace = f.read()
    check("TCP message received" in trace and "UDP message" not in trace,
          "the PBX's sipp did not exchange its messages over TCP")

    uas2 = ctx.sipp("carrier-a-bye", "uas_bye.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, calls=5, duration_ms=500, timeout_s=60)
    uac2 = ctx.sipp("pbx-tcp-recv-bye", "uac_recv_bye.xml", transport="t1",
                    local_ip=topo.pbx_host, local_port=topo.pbx_port,
                    remote=topo.pbx_side_addr(), service=topo.dialled, calls=5, rate=10,
                    duration_ms=300, timeout_s=60)
    uac2_r, (uas2_r,) = ctx.run_calls(uac2, [uas2])
    log(uac2_r.describe())
    log(uas2_r.describe())
    harness.expect_calls(uac2_r, 5, what="provider's BYE to the PBX over TCP")
    harness.expect_calls(uas2_r, 5, what="provider hangs up over UDP")

    pbx = ctx.sipp("pbx-tcp-uas", "uas_basic.xml", transport="t1", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, calls=5, timeout_s=60)
    prov = ctx.sipp("carrier-a-uac", "uac_basic.xml", local_ip=topo.prov1_host,
                    local_port=topo.prov1_port, remote=topo.trunk_side_addr(), service="2001",
                    calls=5, rate=10, duration_ms=300, timeout_s=60)
    prov_r, (pbx_r,) = ctx.run_calls(prov, [pbx])
    log(prov_r.describe())
    log(pbx_r.describe())
    harness.expect_calls(prov_r, 5, what="provider over UDP -> PBX over TCP")
    harness.expect_calls(pbx_r, 5, what="PBX answering over TCP")

    if not ctx.b2bua:
        ctx.skip("CDRs")
        return
    rows = sut.wait_for_cdrs(lambda rs: len(rs) >= 20 and all(
        r.get("disposition") == "answered" and r.get("end_time") for r in rs), timeout=15,
        what="20 answered, ended CDRs")
    check(sum(r.get("direction") == "inbound" for r in rows) == 5, "expected 5 inbound CDRs")


if __name__ == "__main__":
    harness.run(test)
