#!/usr/bin/env python3
"""Floods, bans, restarts and trusted peers.

1. sipp floods INVITEs at the public zone from 127.0.0.60, .61 and .62 while a sipp PBX places
   30 calls through the gateway: the three flooders are banned (rate limit), every PBX call
   succeeds.
2. The provider carrier-b (127.0.0.2) floods the trunk listener with OPTIONS far over any
   limit: it is never banned, and an inbound call from it still goes through afterwards.
3. `trunkguard ban add` on the running gateway silences a source within seconds;
   `ban remove` lets it back in.
4. After a restart the automatic bans are still there and still enforced; an ordinary host
   is still answered.
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag
import guard_helpers as gh  # noqa: E402

FLOODERS = ["127.0.0.60", "127.0.0.61", "127.0.0.62"]


def flood_options(source, addr, count):
    """`count` OPTIONS as fast as Python sends them, each a new transaction."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((source, 0))
    lhost, lport = s.getsockname()
    for i in range(count):
        s.sendto(build_message(f"OPTIONS sip:{addr[0]}:{addr[1]} SIP/2.0", [
            ("Via", f"SIP/2.0/UDP {lhost}:{lport};branch={new_branch()}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:ping@{lhost}>;tag={new_tag()}"),
            ("To", f"<sip:{addr[0]}>"),
            ("Call-ID", f"flood{i}-{new_tag()}"),
            ("CSeq", "1 OPTIONS"),
        ]), addr)
    s.close()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("rate limits and bans are trunkguard features")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    # Scanner detection off: every INVITE on the public zone is answered 403, so its failure
    # ratio would ban the flooders first; this test is about rate limits (the scanner has
    # test_guard_scanners.py).
    guard = {"rate_limit": {"public": {"per_source": {"invite": 20}},
                            "ban_after_violations": 2},
             "scanner": {"enabled": False}}
    sut = ctx.sut(topo, extra=gh.guard_extra(topo, guard=guard)).start()

    # 1. Flooders and the PBX at the same time.
    floods = [ctx.sipp(f"flood-{ip}", "uac_basic.xml", local_ip=ip, remote=pub, service="1000",
                       calls=600, rate=150, timeout_s=12, trace_msg=False) for ip in FLOODERS]
    uas = ctx.sipp("pbx-uas", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=30, timeout_s=60)
    uac = ctx.sipp("pbx-uac", "uac_basic.xml", local_ip=topo.pbx_host, local_port=topo.pbx_port,
                   remote=topo.pbx_side_addr(), service=topo.dialled, calls=30, rate=10,
                   duration_ms=100, timeout_s=60)
    uas.start()
    uas.wait_listening()
    for f in floods:
        f.start()
    uac.start()
    uac_r = uac.wait()
    for f in floods:
        f.wait(30)
    harness.expect_calls(uac_r, 30, what="PBX calls during the flood")
    harness.expect_calls(uas.wait(30), 30, what="provider side during the flood")
    for ip in FLOODERS:
        gh.wait_banned(ctx, sut, ip)
        check(not gh.options_answered(pub, ip), f"banned flooder {ip} must get silence")

    # 2. The provider floods: never banned.
    flood_options(topo.prov2_host, topo.trunk_side_addr(), 5000)
    time.sleep(1.0)
    nets = gh.banned_networks(ctx, sut)
    check(f"{topo.prov2_host}/32" not in nets, f"the provider {topo.prov2_host} was banned: {nets}")
    uas_in = ctx.sipp("in-uas", "uas_basic.xml", local_ip=topo.pbx_host,
                      local_port=topo.pbx_port, calls=3, timeout_s=30)
    uac_in = ctx.sipp("in-uac", "uac_basic.xml", local_ip=topo.prov2_host,
                      local_port=topo.prov2_port, remote=topo.trunk_side_addr(), service="2001",
                      calls=3, rate=5, duration_ms=100, timeout_s=30)
    uac_r, (uas_r,) = ctx.run_calls(uac_in, [uas_in])
    harness.expect_calls(uac_r, 3, what="inbound calls from the provider after its flood")

    # 3. Manual bans on the running gateway.
    # The provider's burst can leave the gateway shedding untrusted requests for a few seconds
    # (overload protection; a sanitizer build drains 5000 datagrams slowly), so wait it out.
    deadline = time.time() + 10
    while not gh.options_answered(pub, "127.0.0.42", timeout=0.3):
        check(time.time() < deadline, "127.0.0.42 must be answered before its ban")
        time.sleep(0.5)
    gh.trunkguard_cli(ctx, "ban", "add", "127.0.0.42", "--reason", "test", "--db", sut.db_path,
                      "--local-root")
    # Probes twice a second: under the public zone's OPTIONS limit (5/s), or they would be a
    # flood of their own.
    deadline = time.time() + 5
    while gh.options_answered(pub, "127.0.0.42", timeout=0.3):
        check(time.time() < deadline, "`ban add` did not reach the running gateway in 5 s")
        time.sleep(0.5)
    gh.trunkguard_cli(ctx, "ban", "remove", "127.0.0.42", "--db", sut.db_path, "--local-root")
    deadline = time.time() + 5
    while not gh.options_answered(pub, "127.0.0.42", timeout=0.3):
        check(time.time() < deadline, "`ban remove` did not reach the running gateway in 5 s")
        time.sleep(0.2)

    # 4. Bans survive a restart.
    sut.stop()
    sut.start()
    nets = gh.banned_networks(ctx, sut)
    for ip in FLOODERS:
        check(f"{ip}/32" in nets, f"the ban of {ip} did not survive the restart: {nets}")
        check(not gh.options_answered(pub, ip), f"{ip} answered after the restart")
    check(gh.options_answered(pub, "127.0.0.43"), "an ordinary host must be answered")
    rules = {e.get("rule") for e in gh.events(ctx, sut) if e.get("source", "").split(":")[0]
             in FLOODERS}
    log(f"rules that fired on the flooders: {sorted(r for r in rules if r)}")
    check(any(r and r.startswith("ratelimit.invite") for r in rules),
          f"no ratelimit.invite security event for the flooders; rules: {rules}")
    sut.stop()


if __name__ == "__main__":
    harness.run(test)
