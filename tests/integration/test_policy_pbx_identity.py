#!/usr/bin/env python3
"""Call policy, who a PBX call counts as (issue 12 item 2): PBX (sipp) -> trunkguard ->
carrier-a (sipp).

A per-account cap of one call at a time (`max_concurrent: 1`) for domestic (+1) calls.

1. The PBX entry names no identity header: its calls count as the PBX peer (`pbx-hq`), whatever
   From user each carries. A call as 401 is held; a call as 402 meanwhile is refused (403). On
   the code before the fix the account was the From user, so 402 got through.
2. The entry names `identity_header: X-Account` and the zone cap `zone_limits.pbx.max_concurrent`
   is 2. A call asserting extension 201 is held; another asserting 201 under the From user 999
   is refused (201's cap); one asserting 202 goes through (its own cap); one asserting 203 is
   refused by the zone cap, which no header can dodge. The CDRs carry the asserted accounts.
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

DIALLED = "12125550100"


def policy(zone_cap=0):
    p = {
        "enabled": True,
        "numbering": {"pbx": {"country": "US"}},
        "default_action": {"pbx": "deny"},
        "rules": [{"name": "pbx-cap", "prefixes": ["+1"], "action": "allow",
                   "max_concurrent": 1}],
    }
    if zone_cap:
        p["zone_limits"] = {"pbx": {"max_concurrent": zone_cap}}
    return p


def pbx(topo, identity_header=None):
    target = {"host": topo.pbx_host, "port": topo.pbx_port, "transport": topo.pbx_transport,
              "name": "pbx-hq"}
    if identity_header:
        target["identity_header"] = identity_header
    return {"targets": [target]}


def held_call(ctx, topo, name, caller, account=None, port=None, hold_ms=4000):
    extra = ["-key", "caller", caller]
    scenario = "policy_uac_call.xml"
    if account is not None:
        extra += ["-key", "account", account]
        scenario = "policy_uac_call_account.xml"
    return ctx.sipp(name, scenario, local_ip=topo.pbx_host,
                    local_port=port or harness.free_port(), remote=topo.pbx_side_addr(),
                    service=DIALLED, calls=1, duration_ms=hold_ms, timeout_s=30, extra=extra)


def refused_call(ctx, topo, name, caller, account=None):
    """A call placed while others are held: it must be answered 403 with a Reason header."""
    extra = ["-key", "caller", caller]
    scenario = "policy_uac_reject.xml"
    if account is not None:
        extra += ["-key", "account", account]
        scenario = "policy_uac_reject_account.xml"
    u = ctx.sipp(name, scenario, local_ip=topo.pbx_host, local_port=harness.free_port(),
                 remote=topo.pbx_side_addr(), service=DIALLED, calls=1, timeout_s=20,
                 extra=extra)
    u.start()
    r = u.wait()
    log(r.describe())
    harness.expect_calls(r, 1, what=f"{name} (must be refused)")
    finals = [m for m in u.received() if m.status and m.status >= 200]
    check(finals and finals[0].status == 403, f"{name}: {[m.summary() for m in finals]}")
    reason = finals[0].header("Reason") or ""
    check(re.fullmatch(r'SIP;\s*cause=403;\s*text="[^"]+"', reason), f"{name}: Reason {reason!r}")


def provider(ctx, topo, name, calls):
    p = ctx.sipp(name, "uas_basic.xml", local_ip=topo.prov1_host, local_port=topo.prov1_port,
                 calls=calls, duration_ms=500, timeout_s=40)
    p.start()
    p.wait_listening()
    return p


def finish(*sipps):
    """Waits for (sipp, calls it must complete, what) each."""
    for s, calls, what in sipps:
        r = s.wait(40)
        log(r.describe())
        harness.expect_calls(r, calls, what=what)


def rejected(sut, rule):
    return [r for r in sut.cdr_list()
            if r.get("disposition") == "rejected" and r.get("policy_rule") == rule]


def test(ctx):
    topo = harness.Topology()
    if ctx.sut_kind != "trunkguard":
        ctx.skip("the call policy is a trunkguard feature")
        return

    # 1. No identity header: every call of the PBX counts as the peer.
    sut = ctx.sut(topo, extra={"pbx": pbx(topo), "policy": policy()}).start()
    p = provider(ctx, topo, "provider-1", 1)
    held = held_call(ctx, topo, "held-401", "401", port=topo.pbx_port)
    held.start()
    time.sleep(1.2)  # answered and held
    refused_call(ctx, topo, "from-402", "402")
    finish((held, 1, "the held call of 401"), (p, 1, "provider: only 401's call"))
    rows = rejected(sut, "pbx-cap.max_concurrent")
    check(len(rows) == 1 and rows[0].get("account") == "pbx-hq",
          f"refused CDRs: {[(r.get('account'), r.get('policy_rule')) for r in rows]}")
    sut.stop()

    # 2. The PBX asserts the extension in X-Account; the zone allows two calls at once.
    sut = ctx.sut(topo, name="gateway-2", db_path=os.path.join(ctx.workdir, "cdr-2.db"),
                  extra={"pbx": pbx(topo, "X-Account"), "policy": policy(zone_cap=2)}).start()
    p = provider(ctx, topo, "provider-2", 2)
    held_201 = held_call(ctx, topo, "held-201", "201", account="201", port=topo.pbx_port,
                         hold_ms=6000)
    held_201.start()
    time.sleep(1.2)
    refused_call(ctx, topo, "201-as-999", "999", account="201")
    held_202 = held_call(ctx, topo, "held-202", "201", account="202", hold_ms=3000)
    held_202.start()
    time.sleep(1.2)
    refused_call(ctx, topo, "zone-cap-203", "203", account="203")
    finish((held_201, 1, "the held call of 201"), (held_202, 1, "the held call of 202"),
           (p, 2, "provider: only 201's and 202's calls"))

    rows = rejected(sut, "pbx-cap.max_concurrent")
    check(len(rows) == 1 and rows[0].get("account") == "201",
          f"per-account refusals: {[(r.get('account'), r.get('policy_rule')) for r in rows]}")
    rows = rejected(sut, "zone_limits.pbx.max_concurrent")
    check(len(rows) == 1 and rows[0].get("account") == "203",
          f"zone-cap refusals: {[(r.get('account'), r.get('policy_rule')) for r in rows]}")
    answered = sorted(r.get("account") for r in sut.cdr_list()
                      if r.get("disposition") == "answered")
    check(answered == ["201", "202"], f"answered calls' accounts {answered}")


if __name__ == "__main__":
    harness.run(test)
