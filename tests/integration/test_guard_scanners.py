#!/usr/bin/env python3
"""Scanners against the public zone, with the real attack tools from Debian's sipvicious.

1. svmap from 127.0.0.50 sweeps the public listener: it finds it at most once, is banned, and a
   second svmap run finds nothing.
2. svwar from 127.0.0.51 tries extensions 100-140 (some exist on the PBX behind the gateway):
   it reports none.
3. A scanner that hides its User-Agent (a browser's) sweeps extensions with INVITEs from
   127.0.0.52: after `max_distinct_users` distinct users it gets silence and a ban (behaviour,
   not signature).
4. svwar --force again against a gateway whose signature list is turned off: it still reports
   no extension (every extension gets the same answer).
Meanwhile an ordinary OPTIONS from an unknown host is answered, the PBX keeps placing calls,
and every block is in the security events with its rule.
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log, build_message, new_branch, new_tag
import guard_helpers as gh  # noqa: E402


def sweep_invites(source, addr, users, user_agent):
    """One INVITE per user, as a scanner that changed its User-Agent would send them."""
    for user in users:
        msg = build_message(f"INVITE sip:{user}@{addr[0]}:{addr[1]} SIP/2.0", [
            ("Via", f"SIP/2.0/UDP {source}:5060;branch={new_branch()}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{user}@{addr[0]}>;tag={new_tag()}"),
            ("To", f"<sip:{user}@{addr[0]}>"),
            ("Call-ID", f"{new_tag()}@{source}"),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:{user}@{source}:5060>"),
            ("User-Agent", user_agent),
        ])
        gh.udp_send(source, addr, msg)
        time.sleep(0.02)


def pbx_calls(ctx, topo, count, name):
    uas = ctx.sipp(f"{name}-uas", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=count, timeout_s=60)
    uac = ctx.sipp(f"{name}-uac", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=count, rate=10, duration_ms=100, timeout_s=60)
    uac_r, (uas_r,) = ctx.run_calls(uac, [uas])
    harness.expect_calls(uac_r, count, what=f"{name}: PBX calls during the scans")


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("scanner detection and bans are trunkguard features")
        return
    topo = gh.public_topology()
    pub = (topo.host, topo.public_side)
    sut = ctx.sut(topo, extra=gh.guard_extra(topo, guard={
        "scanner": {"max_distinct_users": 5, "window_s": 60}})).start()

    check(gh.options_answered(pub, "127.0.0.40"),
          "an OPTIONS from an ordinary unknown host must be answered on the public zone")

    # 1. svmap
    out = gh.run_tool(ctx, "svmap1", ["svmap", "-b", "127.0.0.50", "-p", str(topo.public_side),
                                      "-t", "0.5", topo.host])
    found = gh.svmap_found(out, topo.host, topo.public_side)
    log(f"svmap (first run) found {found} device(s)")
    check(found <= 1, f"svmap found the gateway {found} times:\n{out[-800:]}")
    gh.wait_banned(ctx, sut, "127.0.0.50")
    out = gh.run_tool(ctx, "svmap2", ["svmap", "-b", "127.0.0.50", "-p", str(topo.public_side),
                                      "-t", "0.5", topo.host])
    check(gh.svmap_found(out, topo.host, topo.public_side) == 0,
          f"svmap found the gateway again after the ban:\n{out[-800:]}")
    check(not gh.options_answered(pub, "127.0.0.50"), "a banned source must get silence")

    # 2. svwar
    out = gh.run_tool(ctx, "svwar1", ["svwar", "-b", "127.0.0.51", "-p", str(topo.public_side),
                                      "-e100-140", "-t", "0.3", topo.host], timeout=120)
    exts = gh.svwar_extensions(out)
    check(not exts, f"svwar reported extensions {exts}:\n{out[-800:]}")
    gh.wait_banned(ctx, sut, "127.0.0.51")

    # 3. A scanner with a browser's User-Agent sweeping extensions.
    sweep_invites("127.0.0.52", pub, [str(u) for u in range(200, 215)],
                  "Mozilla/5.0 (X11; Linux x86_64)")
    gh.wait_banned(ctx, sut, "127.0.0.52")
    check(not gh.options_answered(pub, "127.0.0.52"), "the hidden scanner must get silence")

    check(gh.options_answered(pub, "127.0.0.40"), "an ordinary host must still be answered")
    pbx_calls(ctx, topo, 10, "pbx")

    rules = {e.get("rule") for e in gh.events(ctx, sut)}
    log(f"security event rules: {sorted(r for r in rules if r)}")
    check("scanner.user_agent" in rules, f"no scanner.user_agent event; rules: {rules}")
    check("scanner.extension_sweep" in rules, f"no scanner.extension_sweep event; rules: {rules}")
    sut.stop()

    # 4. svwar when only behaviour can give it away.
    topo2 = gh.public_topology()
    sut2 = ctx.sut(topo2, name="gateway-nosig", db_path=os.path.join(ctx.workdir, "nosig.db"),
                   extra=gh.guard_extra(topo2, guard={"scanner": {
                       "max_distinct_users": 5, "window_s": 60,
                       "use_shipped_signatures": False}})).start()
    # --force: our 403 to its first probe would otherwise make it give up at once.
    out = gh.run_tool(ctx, "svwar2", ["svwar", "-b", "127.0.0.53", "-p", str(topo2.public_side),
                                      "-e100-140", "-t", "0.3", "--force", topo2.host],
                      timeout=120)
    exts = gh.svwar_extensions(out)
    check(not exts, f"svwar (no signatures) reported extensions {exts}:\n{out[-800:]}")
    # Every extension gets the same answer, so svwar stops at its first probe ("unknown
    # response"): there is no sweep to ban. Phase 3 is the behaviour-based ban.
    check("403" in out or "found nothing" in out, f"svwar saw something else:\n{out[-800:]}")
    sut2.stop()


if __name__ == "__main__":
    harness.run(test)
