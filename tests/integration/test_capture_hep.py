#!/usr/bin/env python3
"""SIP capture: HEP v3 export of every SIP message on both legs, a TLS leg in the clear.

1. A HEP collector on loopback (hep_helpers.HepCollector, its own chunk decoder). The gateway
   exports to it (capture.hep, agent id 2001, password); the PBX (sipp UAC over UDP) places 3
   calls to carrier-a over TLS (stunnel in front of a sipp UAS, as in test_tls_provider.py).
2. For every call, both legs' INVITE, 200, ACK, BYE and the 200 to the BYE arrive, each with the
   addresses and ports of its hop (PBX <-> gateway's pbx listener over UDP; gateway's trunk
   listener <-> stunnel's TLS port, marked TLS, the SIP in plaintext), the message's Call-ID as
   the correlation id, the agent id, the password and a timestamp of this run.
3. `trunkguard status --json` counts the messages sent and none dropped.
4. sngrep, the real peer: the gateway restarted with sngrep (-L, HEP listener) as the
   collector writes a pcap of one more call, which holds both legs' INVITEs.
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import hep_helpers  # noqa: E402
import tls_helpers  # noqa: E402
from harness import check, log  # noqa: E402

AGENT = 2001
PASSWORD = "homer-test"
CALLS = 3


def place_calls(ctx, topo, tls_port, name, calls):
    uas = ctx.sipp(f"carrier-a-{name}", "uas_basic.xml", transport="t1", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, contact=f"{topo.prov1_host}:{tls_port}",
                   calls=calls, timeout_s=60)
    uac = ctx.sipp(f"pbx-{name}", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=calls, rate=10, duration_ms=300, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, calls, what=f"PBX side ({name})")
    harness.expect_calls(uas_r, calls, what=f"provider side ({name})")
    a_ids = {m.call_id for m in uac.sent("INVITE")}
    b_ids = {m.call_id for m in uas.received("INVITE")}
    check(len(a_ids) == calls and len(b_ids) == calls and not a_ids & b_ids,
          f"expected {calls} distinct Call-IDs per leg, got {a_ids} / {b_ids}")
    return a_ids, b_ids


def hop(packets, call_id, src, dst):
    """The SIP messages of `call_id` captured going from src to dst, as (method or status,
    CSeq method) pairs."""
    out = set()
    for p in packets:
        if p["correlation"] != call_id or p["src"] != src or p["dst"] != dst:
            continue
        m = p["sip"]
        out.add((m.status if m.is_response else m.method, m.cseq[1]))
    return out


EXPECTED_FORWARD = {("INVITE", "INVITE"), ("ACK", "ACK"), ("BYE", "BYE")}
EXPECTED_BACK = {(200, "INVITE"), (200, "BYE")}


def complete(packets, a_ids, b_ids, topo, tls_port):
    pbx = (topo.pbx_host, topo.pbx_port)
    gw_pbx = (topo.host, topo.pbx_side)
    gw_trunk = (topo.host, topo.trunk_side)
    prov = (topo.prov1_host, tls_port)
    for a in a_ids:
        if not EXPECTED_FORWARD <= hop(packets, a, pbx, gw_pbx):
            return False
        if not EXPECTED_BACK <= hop(packets, a, gw_pbx, pbx):
            return False
    for b in b_ids:
        if not EXPECTED_FORWARD <= hop(packets, b, gw_trunk, prov):
            return False
        if not EXPECTED_BACK <= hop(packets, b, prov, gw_trunk):
            return False
    return True


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("HEP capture (trunkguard only)")
        return
    pki = tls_helpers.make_pki(ctx.workdir)
    topo = harness.Topology(pbx_transport="udp", trunk_transport="tls")
    tls_port = harness.free_port(topo.prov1_host)
    collector = hep_helpers.HepCollector()
    providers = [{"name": "carrier-a", "host": topo.prov1_host, "port": tls_port,
                  "transport": "tls", "priority": 10, "tls": {"ca_file": pki["ca"]},
                  "srtp": "optional"}]
    extra = {"tls": {"certificate": pki["server"][0], "private_key": pki["server"][1]},
             "capture": {"hep": {"url": f"udp://127.0.0.1:{collector.port}",
                                 "agent_id": AGENT, "password": PASSWORD}}}
    sut = ctx.sut(topo, providers=providers, extra=extra).start()
    with open(sut.stderr_path, errors="replace") as f:
        check(f"HEP v3 to udp://127.0.0.1:{collector.port}" in f.read(),
              "the gateway's log does not announce the HEP export")
    edge = tls_helpers.Stunnel(ctx.workdir, "carrier-a-edge", (topo.prov1_host, tls_port),
                               (topo.prov1_host, topo.prov1_port), cert=pki["server"])
    edge.start()
    ctx.relays.append(_Closer(edge.stop, edge.diagnostics))
    ctx.relays.append(_Closer(collector.close, lambda: "\n".join(collector.describe()[-60:])))
    started = time.time()

    # 1-2. Both legs of every call, hop by hop.
    a_ids, b_ids = place_calls(ctx, topo, tls_port, "hep", CALLS)
    packets = collector.wait_for(lambda ps: complete(ps, a_ids, b_ids, topo, tls_port),
                                 timeout=10, what="INVITE/200/ACK/BYE/200 of both legs")
    check(not collector.errors, f"undecodable HEP packets: {collector.errors[:3]}")
    log(f"collector: {len(packets)} HEP packets for {CALLS} calls")
    ours = [p for p in packets if p["correlation"] in a_ids | b_ids]
    for p in ours:
        what = f"{p['sip'].summary()} {p['src']} -> {p['dst']}"
        check(p["family"] == "ipv4" and p["type"] == 1, f"{what}: family/type {p['family']}"
              f"/{p['type']}, expected ipv4/SIP (1)")
        check(p["agent"] == AGENT, f"{what}: agent id {p['agent']}, expected {AGENT}")
        check(p["auth"] == PASSWORD, f"{what}: auth key {p['auth']!r}")
        check(p["sip"].call_id == p["correlation"],
              f"{what}: correlation id {p['correlation']!r} is not the Call-ID "
              f"{p['sip'].call_id!r}")
        check(started - 5 <= p["time"] <= time.time() + 5,
              f"{what}: timestamp {p['time']} is not of this run ({started})")
        on_trunk = p["correlation"] in b_ids
        check(p["protocol"] == ("tls" if on_trunk else "udp"),
              f"{what}: protocol {p['protocol']}, expected {'tls' if on_trunk else 'udp'}")
        check(p["payload"].startswith(("INVITE ", "ACK ", "BYE ", "SIP/2.0 ")),
              f"{what}: the payload is not plaintext SIP: {p['payload'][:40]!r}")

    # 3. The counters.
    r = subprocess.run([sut.binary, "status", "-c", sut.config_path, "--json"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"`status --json` failed: {r.stderr.strip()}")
    capture = json.loads(r.stdout).get("capture")
    check(isinstance(capture, dict), f"no capture counters in `status --json`: {r.stdout[:300]}")
    check(capture["sent"] >= len(ours) and capture["dropped"] == 0,
          f"status capture {capture}, the collector got {len(ours)} of the calls' messages")
    log(f"status: capture {capture}")
    r = subprocess.run([sut.binary, "status", "-c", sut.config_path],
                       capture_output=True, text=True, timeout=30)
    check("capture: HEP " in r.stdout, f"`status` text lacks the capture line:\n{r.stdout}")

    # 4. sngrep as the collector.
    if shutil.which("sngrep") is None:
        ctx.skip("sngrep is not installed (scripts/install-deps.sh)")
        return
    sut.stop()
    sngrep_port = harness.free_port()
    pcap = os.path.join(ctx.workdir, "sngrep.pcap")
    sngrep = harness.spawn(["sngrep", "-N", "-q", "-L", f"udp:127.0.0.1:{sngrep_port}",
                            "-O", pcap], "sngrep", os.path.join(ctx.workdir, "sngrep.out"),
                           os.path.join(ctx.workdir, "sngrep.out"))
    ctx.relays.append(_Closer(lambda: harness.stop_process(sngrep, timeout=5),
                              lambda: harness.tail(os.path.join(ctx.workdir, "sngrep.out"))))
    time.sleep(0.5)
    check(sngrep.poll() is None, "sngrep exited at start: "
          f"{harness.tail(os.path.join(ctx.workdir, 'sngrep.out'))}")
    sut.config_args["extra"]["capture"] = {"hep": {"url": f"udp://127.0.0.1:{sngrep_port}",
                                                   "agent_id": AGENT}}
    sut.start()
    a2, b2 = place_calls(ctx, topo, tls_port, "sngrep", 1)
    time.sleep(1.0)
    harness.stop_process(sngrep, timeout=5)  # SIGTERM: sngrep closes the pcap
    records = hep_helpers.pcap_records(pcap)
    log(f"sngrep wrote {len(records)} pcap record(s)")
    for ids, leg in ((a2, "PBX leg"), (b2, "provider leg (TLS)")):
        (cid,) = ids
        invites = [r for r in records if f"Call-ID: {cid}".encode() in r and b"INVITE sip" in r]
        check(invites, f"sngrep's pcap has no INVITE of the {leg} (Call-ID {cid}); "
              f"{len(records)} records")


class _Closer:
    """Lets ctx stop a helper at the end (ctx.relays) and print its state on failure."""

    def __init__(self, close, describe):
        self._close = close
        self._describe = describe

    def describe(self):
        return self._describe()

    def close(self):
        self._close()


if __name__ == "__main__":
    harness.run(test)
