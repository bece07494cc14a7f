#!/usr/bin/env python3
"""A provider found through DNS (RFC 3263), served by dnsmasq on a loopback port:

  _sip._udp.carrier.test  SRV 10 60 <p1> first.carrier.test   (answers nothing)
                          SRV 20 60 <p2> second.carrier.test  (a sipp UAS)
  first.carrier.test A 127.0.0.1, second.carrier.test A 127.0.0.2

trunkguard (provider host carrier.test, no port, NAPTR lookups on but none published) resolves
the SRV records, sends each call's INVITE to the priority-10 target first and, when it stays
silent (Timer B, 64*T1 = 3.2 s here), fails over to the priority-20 target, where the call
completes.

Then a gateway with health checks every 300 ms pings both SRV targets (OPTIONS); the second
target (a raw peer now) answers, the first never does. Once the log says the first address is
down (the provider stays up), a call completes at the second target without the Timer B wait,
and the first target sees pings only, no INVITE.

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
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, build_response, sdp

T1_MS = 50
TIMER_B_S = 64 * T1_MS / 1000.0
HEALTH_INTERVAL_MS = 300


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


def gateway_log(sut):
    text = ""
    for path in (sut.stdout_path, sut.stderr_path):
        with open(path, encoding="utf-8", errors="replace") as f:
            text += f.read()
    return text


def wait_for_log(sut, needle, timeout):
    deadline = time.time() + timeout
    while needle not in gateway_log(sut):
        check(sut.alive(), f"{sut.name} exited while waiting for {needle!r}")
        check(time.time() < deadline, f"{needle!r} not in the gateway's log within {timeout}s:\n"
              f"{harness.tail(sut.stdout_path, 20)}")
        time.sleep(0.1)


def health_part(ctx, topo, dns_port, silent, first_port):
    """Health per SRV target: the silent first one is marked down alone; calls skip it."""
    uas_tag = "second-" + uuid.uuid4().hex[:8]

    def second_target(peer, msg, addr):  # answers pings and plays a UAS
        if msg.is_response or msg.method == "ACK":
            return
        if msg.method == "INVITE":
            peer.send(build_response(msg, 100, "Trying"), addr)
            peer.send(build_response(msg, 200, "OK", to_tag=uas_tag, headers=[
                ("Contact", f"<sip:uas@{topo.prov2_host}:{topo.prov2_port}>"),
                ("Content-Type", "application/sdp")], body=sdp(topo.prov2_host, 42000)), addr)
        else:
            peer.send(build_response(msg, 200, "OK", to_tag=uas_tag), addr)

    def pbx_answers_pings(peer, msg, addr):
        if not msg.is_response and msg.method == "OPTIONS":
            peer.send(build_response(msg, 200, "OK", to_tag=uuid.uuid4().hex[:8]), addr)

    second = ctx.peer("second-target-health", topo.prov2_host, topo.prov2_port, second_target)
    pbx = ctx.peer("pbx-health", topo.pbx_host, topo.pbx_port, pbx_answers_pings)
    providers = [{"name": "carrier", "host": "carrier.test", "transport": "udp",
                  "allow_plaintext": True, "allowed_sources": ["127.0.0.0/8"]}]
    sut = ctx.sut(topo, name="gateway-health", t1_ms=T1_MS, providers=providers,
                  extra={"dns": {"servers": [f"127.0.0.1:{dns_port}"], "naptr": True,
                                 "timeout_ms": 500},
                         "health": {"interval_ms": HEALTH_INTERVAL_MS,
                                    "failures_before_down": 2}}).start()
    # Two pings unanswered for 64*T1 each; generous for a slow (sanitizer) build.
    down = f"peer carrier address 127.0.0.1:{first_port} (udp) is down"
    wait_for_log(sut, down, timeout=30 + 2 * TIMER_B_S)
    text = gateway_log(sut)
    check(f"{down} after 2 unanswered requests; 1 of 2 addresses up" in text,
          f"the down line should say the provider still has its second address:\n"
          f"{[ln for ln in text.splitlines() if 'is down' in ln]}")
    check(f"127.0.0.2:{topo.prov2_port} (udp) is down" not in text,
          "the answering second target was marked down")
    check(any(m.method == "OPTIONS" for m in second.messages()), "the second target was never "
          "pinged: every address of a provider must be")

    silent_mark = silent.count()
    gw = topo.pbx_side_addr()
    call_id = f"{uuid.uuid4().hex}@pbx.test"
    from_tag = uuid.uuid4().hex[:10]
    ruri = f"sip:{topo.dialled}@{gw[0]}:{gw[1]}"
    to = f"<sip:{topo.dialled}@pbx.test>"

    def request(method, uri, cseq, to_value, body=""):
        hs = [("Via", f"SIP/2.0/UDP {topo.pbx_host}:{topo.pbx_port};branch="
                      f"{harness.new_branch()};rport"),
              ("Max-Forwards", "70"),
              ("From", f"<sip:2001@pbx.test>;tag={from_tag}"),
              ("To", to_value),
              ("Call-ID", call_id),
              ("CSeq", f"{cseq} {method}"),
              ("Contact", f"<sip:2001@{topo.pbx_host}:{topo.pbx_port}>")]
        if body:
            hs.append(("Content-Type", "application/sdp"))
        return build_message(f"{method} {uri} SIP/2.0", hs, body)

    started = time.time()
    pbx.send(request("INVITE", ruri, 1, to, sdp(topo.pbx_host, 40000)), gw)
    ok = pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "INVITE",
                      timeout=2 * TIMER_B_S + 10, what="200 OK for the INVITE")
    elapsed = time.time() - started
    log(f"call answered by the second target after {elapsed:.2f}s (Timer B {TIMER_B_S:.1f}s)")
    check(elapsed < TIMER_B_S, f"the call took {elapsed:.1f}s: it waited for the silent target "
          f"(Timer B {TIMER_B_S:.1f}s) although that address was down")
    target = ok.contact_uri()
    pbx.send(request("ACK", target, 1, ok.header("To")), gw)
    second.wait_for(lambda m: m.method == "ACK", timeout=10, what="ACK at the second target")
    n = pbx.count()
    pbx.send(request("BYE", target, 2, ok.header("To")), gw)
    pbx.wait_for(lambda m: m.is_response and m.status == 200 and m.cseq[1] == "BYE",
                 timeout=10, start=n, what="200 OK for the BYE")
    seen = {m.method for m in silent.messages()[silent_mark:] if not m.is_response}
    check("INVITE" not in seen, f"the silent (down) target got the call's INVITE: {seen}")
    check(seen <= {"OPTIONS"}, f"the silent target should see pings only, got {seen}")
    sut.stop()
    second.close()
    pbx.close()


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

    health_part(ctx, topo, dns_port, silent, first_port)

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
