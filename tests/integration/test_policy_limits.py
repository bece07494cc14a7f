#!/usr/bin/env python3
"""Call policy (issue 7), live limits: PBX (sipp) -> trunkguard -> carrier-a (sipp).

The PBX asserts its extension in X-Account (pbx.targets[].identity_header; the From user is
not the account, issue 12 item 2). Each extension has its own rule for domestic (+1) calls:
  301  at most 2 calls at once
  302  calls last at most 3 s
  303  at most 3.00 an hour, with +1 rated 60.00 a minute billed per second (1.00 a second)

1. 301 holds two calls; a third placed meanwhile is refused (403 + Reason); the two complete.
2. 302's call is never hung up by either side: the gateway ends it at 3 s with a BYE on both
   legs; its CDR says so, with a duration of about 3 s.
3. 303's call is never hung up either: the spend cap ends it once its paid 3 s are used,
   with a BYE on both legs; the CDR carries the cost.
4. After a restart, 303's spend of the last hour still counts (rebuilt from the CDRs): its
   next call is refused (spend_per_hour).
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

DIALLED = "12125550100"
MAX_DURATION_S = 3
SPEND_CAP = 3.0  # at 1.00 a second: about 3 s of talk


def policy(rate_table):
    return {
        "enabled": True,
        "numbering": {"pbx": {"country": "US"}},
        "default_action": {"pbx": "deny"},
        "rate_table": rate_table,
        "rules": [
            {"name": "two-at-once", "accounts": ["301"], "prefixes": ["+1"], "action": "allow",
             "max_concurrent": 2},
            {"name": "short-calls", "accounts": ["302"], "prefixes": ["+1"], "action": "allow",
             "max_duration_s": MAX_DURATION_S},
            {"name": "capped", "accounts": ["303"], "prefixes": ["+1"], "action": "allow",
             "spend_per_hour": SPEND_CAP},
        ],
    }


def pbx(topo):
    return {"targets": [{"host": topo.pbx_host, "port": topo.pbx_port,
                         "transport": topo.pbx_transport, "identity_header": "X-Account"}]}


def uac(ctx, topo, name, scenario, caller, **kw):
    return ctx.sipp(name, scenario, local_ip=topo.pbx_host, local_port=topo.pbx_port,
                    remote=topo.pbx_side_addr(), service=DIALLED,
                    extra=["-key", "caller", caller, "-key", "account", caller], **kw)


def provider(ctx, topo, name, calls, hold_ms=500):
    return ctx.sipp(name, "uas_basic.xml", local_ip=topo.prov1_host, local_port=topo.prov1_port,
                    calls=calls, duration_ms=hold_ms, timeout_s=30)


def ended_by_gateway(ctx, sut, topo, name, caller, what):
    """A call neither side hangs up: returns (seconds from the 200 to the gateway's BYE at the
    PBX, its CDR)."""
    p = provider(ctx, topo, f"{name}-provider", 1)
    u = uac(ctx, topo, f"{name}-pbx", "policy_uac_recv_bye_account.xml", caller, calls=1,
            duration_ms=500, timeout_s=30)
    u_r, (p_r,) = ctx.run_calls(u, [p])
    log(u_r.describe())
    log(p_r.describe())
    harness.expect_calls(u_r, 1, what=f"{what}: PBX side (must receive the gateway's BYE)")
    harness.expect_calls(p_r, 1, what=f"{what}: provider side (must receive the gateway's BYE)")
    check(len(u.received("BYE")) >= 1, f"{what}: no BYE reached the PBX")
    check(len(p.received("BYE")) >= 1, f"{what}: no BYE reached the provider")
    a_id = u.sent("INVITE")[0].call_id
    rows = sut.wait_for_cdrs(lambda rs: any(r.get("a_call_id") == a_id and r.get("end_time")
                                            for r in rs), timeout=10, what=f"{what} CDR")
    row = next(r for r in rows if r.get("a_call_id") == a_id)
    return row


def test(ctx):
    topo = harness.Topology()
    rates = os.path.join(ctx.workdir, "rates.csv")
    with open(rates, "w") as f:
        f.write("prefix,price_per_minute,increments\n1,60.00,1/1\n")
    sut = ctx.sut(topo, extra={"pbx": pbx(topo), "policy": policy(rates)}).start()

    # 1. Concurrency.
    p = provider(ctx, topo, "two-provider", 2, hold_ms=500)
    held = uac(ctx, topo, "two-held", "policy_uac_call_account.xml", "301", calls=2, rate=10,
               duration_ms=3000, timeout_s=30)
    extra = ctx.sipp("third-call", "policy_uac_reject_account.xml", local_ip=topo.pbx_host,
                     local_port=harness.free_port(), remote=topo.pbx_side_addr(),
                     service=DIALLED, calls=1, timeout_s=20,
                     extra=["-key", "caller", "301", "-key", "account", "301"])
    p.start()
    p.wait_listening()
    held.start()
    time.sleep(1.2)  # both calls answered and held
    extra.start()
    extra_r = extra.wait()
    held_r = held.wait()
    p_r = p.wait(30)
    for r in (extra_r, held_r, p_r):
        log(r.describe())
    harness.expect_calls(held_r, 2, what="the two calls within the limit")
    harness.expect_calls(p_r, 2, what="provider: only the two calls within the limit")
    harness.expect_calls(extra_r, 1, what="the third call (refused)")
    finals = [m for m in extra.received() if m.status and m.status >= 200]
    check(finals and finals[0].status == 403, f"third call: {[m.summary() for m in finals]}")
    reason = finals[0].header("Reason") or ""
    check(re.fullmatch(r'SIP;\s*cause=403;\s*text="[^"]+"', reason), f"Reason {reason!r}")

    # 2. Duration limit.
    row = ended_by_gateway(ctx, sut, topo, "duration", "302", "duration limit")
    check(row.get("disposition") == "answered", f"duration CDR disposition {row}")
    check("duration" in (row.get("end_reason") or ""),
          f"duration CDR end_reason {row.get('end_reason')!r}")
    d = row.get("duration_ms") or 0
    check(MAX_DURATION_S * 1000 - 100 <= d <= MAX_DURATION_S * 1000 + 1500,
          f"duration CDR duration_ms {d}, expected about {MAX_DURATION_S * 1000}")
    check(row.get("policy_rule") == "short-calls", f"policy_rule {row.get('policy_rule')!r}")

    # 3. Spend cap.
    row = ended_by_gateway(ctx, sut, topo, "spend", "303", "spend cap")
    check("spend cap" in (row.get("end_reason") or ""),
          f"spend CDR end_reason {row.get('end_reason')!r}")
    d = row.get("duration_ms") or 0
    check(2500 <= d <= 6000, f"spend CDR duration_ms {d}: the cap is reached after about 3 s")
    cost = row.get("cost") or 0
    check(SPEND_CAP <= cost <= SPEND_CAP + 3.5, f"spend CDR cost {cost!r}, expected just over "
          f"{SPEND_CAP}")
    check(row.get("policy_rule") == "capped", f"policy_rule {row.get('policy_rule')!r}")

    rows = sut.cdr_list()
    rejected = [r for r in rows if r.get("disposition") == "rejected"]
    check(len(rejected) == 1 and rejected[0].get("policy_rule") == "two-at-once.max_concurrent",
          f"rejected CDRs: {[(r.get('policy_rule'), r.get('sip_code')) for r in rejected]}")

    # 4. A restart does not hand out a fresh budget.
    sut.stop()
    sut.start()
    again = ctx.sipp("spend-after-restart", "policy_uac_reject_account.xml",
                     local_ip=topo.pbx_host, local_port=harness.free_port(),
                     remote=topo.pbx_side_addr(), service=DIALLED, calls=1, timeout_s=20,
                     extra=["-key", "caller", "303", "-key", "account", "303"])
    again.start()
    harness.expect_calls(again.wait(), 1, what="303's call after the restart (refused)")
    rows = sut.cdr_list()
    refused = [r for r in rows if r.get("disposition") == "rejected" and r.get("account") == "303"]
    check(refused and refused[0].get("policy_rule") == "capped.spend_per_hour",
          f"303 after the restart: {[(r.get('policy_rule'), r.get('sip_code')) for r in refused]}")
    with open(sut.stderr_path, encoding="utf-8", errors="replace") as f:
        check("spend caps: counted again 1 ended call(s) of the last 24 hours" in f.read(),
              "the gateway did not log the spend it counted again")


if __name__ == "__main__":
    harness.run(test)
