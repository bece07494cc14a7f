#!/usr/bin/env python3
"""A provider found through DNS (RFC 3263), served by dnsmasq on a loopback port:

  _sip._udp.carrier.test  SRV 10 60 <p1> first.carrier.test   (answers nothing)
                          SRV 20 60 <p2> second.carrier.test  (a sipp UAS)
  first.carrier.test A 127.0.0.1, second.carrier.test A 127.0.0.2

trunkguard (provider host carrier.test, no port, NAPTR lookups on but none published) resolves
the SRV records, sends each call's INVITE to the priority-10 target first and, when it stays
silent (Timer B, 64*T1 = 3.2 s here), fails over to the priority-20 target, where the call
completes.

Then a second gateway uses a provider that publishes NAPTR (RFC 3263 §4.1):

  naptr.test NAPTR 10 10 "S" "SIP+D2T" _sip._tcp.pool.naptr.test  (not our transport)
             NAPTR 20 10 "S" "SIP+D2U" _sip._udp.pool.naptr.test
  _sip._udp.pool.naptr.test SRV 10 60 <p2> second.carrier.test

and its call reaches the sipp UAS only through the NAPTR's replacement (no SRV is published
under _sip._udp.naptr.test).
"""
import shutil
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

T1_MS = 50


def start_dnsmasq(ctx, port, records):
    binary = shutil.which("dnsmasq") or shutil.which("/usr/sbin/dnsmasq")
    check(binary is not None, "dnsmasq is not installed (Debian package dnsmasq-base)")
    cmd = [binary, "--no-daemon", f"--port={port}", "--listen-address=127.0.0.1",
           "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
           "--pid-file=", "--user=", "--local=/carrier.test/", "--local=/naptr.test/",
           "--local-ttl=60",
           "--log-queries", "--log-facility=-"] + records
    out = f"{ctx.workdir}/dnsmasq.log"
    proc = harness.spawn(cmd, "dnsmasq", out, out)
    deadline = time.time() + 5
    while not harness.port_in_use("127.0.0.1", port):
        check(proc.poll() is None and time.time() < deadline,
              f"dnsmasq did not start: {harness.tail(out, 10)}")
        time.sleep(0.05)
    return proc, out


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("DNS SRV resolution (trunkguard only)")
        return
    topo = harness.Topology()
    dns_port = harness.free_port()
    first_port = harness.free_port("127.0.0.1")
    proc, dns_log = start_dnsmasq(ctx, dns_port, [
        f"--srv-host=_sip._udp.carrier.test,first.carrier.test,{first_port},10,60",
        f"--srv-host=_sip._udp.carrier.test,second.carrier.test,{topo.prov2_port},20,60",
        "--host-record=first.carrier.test,127.0.0.1",
        "--host-record=second.carrier.test,127.0.0.2",
        "--naptr-record=naptr.test,10,10,S,SIP+D2T,,_sip._tcp.pool.naptr.test",
        "--naptr-record=naptr.test,20,10,S,SIP+D2U,,_sip._udp.pool.naptr.test",
        f"--srv-host=_sip._udp.pool.naptr.test,second.carrier.test,{topo.prov2_port},10,60",
    ])
    # The first target receives and never answers: it proves the SRV order was followed.
    silent = ctx.peer("first-target", "127.0.0.1", first_port)
    providers = [{"name": "carrier", "host": "carrier.test", "transport": "udp",
                  "allow_plaintext": True, "allowed_sources": ["127.0.0.0/8"]}]
    sut = ctx.sut(topo, t1_ms=T1_MS, providers=providers, log_level="debug",
                  extra={"dns": {"servers": [f"127.0.0.1:{dns_port}"], "naptr": True,
                                 "timeout_ms": 500}}).start()
    check(proc.poll() is None, f"dnsmasq exited: {harness.tail(dns_log, 10)}")

    uas = ctx.sipp("second-target", "uas_basic.xml", local_ip=topo.prov2_host,
                   local_port=topo.prov2_port, calls=2, timeout_s=40)
    uac = ctx.sipp("pbx", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=2, rate=2,
                   duration_ms=300, timeout_s=40)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    log(uac_r.describe())
    log(uas_r.describe())
    harness.expect_calls(uac_r, 2, what="calls to an SRV-resolved provider, PBX side")
    harness.expect_calls(uas_r, 2, what="second SRV target")
    invites = [m for m in silent.messages() if m.method == "INVITE"]
    check(len({m.call_id for m in invites}) == 2,
          f"the priority-10 target saw INVITEs of {len({m.call_id for m in invites})} calls, "
          "expected both calls tried there first")
    uris = {m.uri for m in uas.received("INVITE")}
    check(all(u.endswith("@carrier.test") for u in uris),
          f"the Request-URI should keep the provider's name, got {uris}")
    with open(dns_log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check("query[SRV] _sip._udp.carrier.test" in text, "trunkguard never asked for the SRV "
          f"record; dnsmasq log:\n{harness.tail(dns_log, 20)}")
    sut.stop()

    # NAPTR names the SRV record.
    providers = [{"name": "naptr-carrier", "host": "naptr.test", "transport": "udp",
                  "allow_plaintext": True, "allowed_sources": ["127.0.0.0/8"]}]
    sut = ctx.sut(topo, name="gateway-naptr", t1_ms=T1_MS, providers=providers,
                  log_level="debug",
                  extra={"dns": {"servers": [f"127.0.0.1:{dns_port}"], "naptr": True,
                                 "timeout_ms": 500}}).start()
    uas = ctx.sipp("naptr-target", "uas_basic.xml", local_ip=topo.prov2_host,
                   local_port=topo.prov2_port, calls=1, timeout_s=30)
    uac = ctx.sipp("pbx-naptr", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(),
                   service=topo.dialled, calls=1, rate=1, duration_ms=300, timeout_s=30)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    harness.expect_calls(uac_r, 1, what="a call to a NAPTR-resolved provider, PBX side")
    harness.expect_calls(uas_r, 1, what="the NAPTR's SRV target")
    with open(dns_log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for query in ("query[NAPTR] naptr.test", "query[SRV] _sip._udp.pool.naptr.test"):
        check(query in text, f"no '{query}' in the dnsmasq log:\n{harness.tail(dns_log, 20)}")
    check("_sip._tcp.pool.naptr.test" not in text,
          "trunkguard followed the NAPTR of another transport")
    sut.stop()
    harness.stop_process(proc)


if __name__ == "__main__":
    harness.run(test)
