#!/usr/bin/env python3
"""Fraud detection live (issue 15): a hijacked PBX extension pumps calls to a premium number
block; PBX (sipp) -> trunkguard -> carrier-a (sipp).

1. The extension places three long calls into one +371 number block; nobody hangs them up.
   Its fourth number of the block is refused (403, rule fraud.enumeration) and the gateway
   tears the three live calls down itself (BYE to both sides, CDR end cause fraud); a call to
   another country right after is refused too (the account is blocked: fraud.blocked).
2. Another extension has made three short calls into a second block when the gateway
   restarts. Its fourth number after the restart is still refused: the detectors learn the
   last minutes again from the CDRs (without that, the restart would be a fresh start for
   the fraudster).
3. Legitimate: a national call of a third extension goes through all along.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import guard_helpers  # noqa: E402
import policy_helpers  # noqa: E402
from harness import check, log

PUMPED_BLOCK = "+37120912"   # + 3 more digits
SECOND_BLOCK = "+37120913"


def config(topo, rates):
    return {
        # The PBX names the extension of each call in X-Account (the From user is not trusted).
        "pbx": {"targets": [{"host": topo.pbx_host, "port": topo.pbx_port,
                             "transport": topo.pbx_transport, "identity_header": "X-Account"}]},
        "policy": {
            "enabled": True,
            "numbering": {"pbx": {"country": "US"}},
            "default_action": {"pbx": "deny"},
            "rate_table": rates,
            "rules": [{"name": "staff", "accounts": ["401", "402", "403"], "classes": ["national", "mobile", "international"],
                       "action": "allow"}],
        },
        "fraud": {"block_s": 60},
    }


def live_calls(ctx, topo, name, caller, numbers):
    """Calls `numbers` in turn (one sipp per call, each its own port); nobody hangs up, so each
    stays up until the gateway sends BYE. Returns the UAC sipps, started."""
    uacs = []
    for i, number in enumerate(numbers):
        u = ctx.sipp(f"{name}-{i}", "policy_uac_recv_bye_account.xml", local_ip=topo.pbx_host,
                     local_port=harness.free_port(), remote=topo.pbx_side_addr(),
                     service=number, calls=1, timeout_s=40,
                     extra=["-key", "caller", caller, "-key", "account", caller])
        u.start()
        uacs.append(u)
    return uacs


def cdr_of(rows, sipp):
    call_id = sipp.sent("INVITE")[0].call_id
    return next((r for r in rows if r.get("a_call_id") == call_id), None)


def test(ctx):
    topo = harness.Topology()
    rates = os.path.join(ctx.workdir, "rates.csv")
    with open(rates, "w") as f:
        f.write("prefix,price_per_minute,increments\n1,0.01,60/60\n371,2.50,1/1\n")
    sut = ctx.sut(topo, extra=config(topo, rates)).start()

    # 3 (first): a legitimate national call.
    policy_helpers.answered(ctx, topo, "legit-before", "403", "12125550100",
                            account="403")

    # 1. Pumping.
    provider = ctx.sipp("carrier", "uas_basic.xml", local_ip=topo.prov1_host,
                        local_port=topo.prov1_port, calls=3, timeout_s=60)
    provider.start()
    provider.wait_listening()
    pumps = live_calls(ctx, topo, "pump", "401", [f"{PUMPED_BLOCK}{n}" for n in (101, 102, 103)])
    sut.wait_for_cdrs(lambda rs: sum(1 for r in rs if r.get("answer_time")
                                     and (r.get("dialled_e164") or "").startswith(PUMPED_BLOCK))
                      >= 3, timeout=15, what="the three pumped calls answered")
    policy_helpers.refused(ctx, topo, "pump-4th", "401", f"{PUMPED_BLOCK}104",
                            account="401")
    for u in pumps:
        r = u.wait()
        log(r.describe())
        harness.expect_calls(r, 1, what=f"{u.name}: must be ended by the gateway's BYE")
        check(u.received("BYE"), f"{u.name}: no BYE from the gateway")
    p_r = provider.wait(30)
    log(p_r.describe())
    harness.expect_calls(p_r, 3, what="carrier: the three pumped calls, ended by the gateway")
    check(len(provider.received("BYE")) >= 3, "carrier: the gateway did not BYE every pumped call")
    policy_helpers.refused(ctx, topo, "pump-other-country", "401", "+442079460000",
                            account="401")

    rows = sut.cdr_list()
    for u in pumps:
        row = cdr_of(rows, u)
        check(row is not None, f"{u.name}: no CDR")
        check("fraud" in (row.get("end_reason") or ""),
              f"{u.name}: CDR end_reason {row.get('end_reason')!r}, expected the fraud teardown")
    refused = [r for r in rows if r.get("disposition") == "rejected"]
    rules = [r.get("policy_rule") for r in refused]
    check(rules[-2:] == ["fraud.blocked", "fraud.enumeration"] or
          sorted(rules) == ["fraud.blocked", "fraud.enumeration"],
          f"refused calls' rules: {rules}")
    evs = [e for e in guard_helpers.events(ctx, sut) if "fraud" in str(e.get("rule", ""))]
    check(any(e.get("rule") == "fraud.enumeration" for e in evs),
          f"no fraud.enumeration security event: {evs}")

    # 2. Test calls, a restart, the fourth number.
    for n in (201, 202, 203):
        policy_helpers.answered(ctx, topo, f"probe-{n}", "402", f"{SECOND_BLOCK}{n}",
                                account="402")
    sut.stop()
    sut.start()
    with open(sut.stderr_path, encoding="utf-8", errors="replace") as f:
        check("fraud: learnt again from" in f.read(),
              "the gateway did not log the calls it learnt from at start")
    policy_helpers.refused(ctx, topo, "probe-after-restart", "402", f"{SECOND_BLOCK}204",
                            account="402")
    rows = sut.cdr_list()
    last = [r for r in rows if r.get("dialled_e164") == f"{SECOND_BLOCK}204"]
    check(last and last[0].get("policy_rule") == "fraud.enumeration",
          f"after the restart: {[(r.get('policy_rule'), r.get('sip_code')) for r in last]}")

    # 3 (again): legitimate calls still go through.
    policy_helpers.answered(ctx, topo, "legit-after", "403", "12125550100",
                            account="403")


if __name__ == "__main__":
    harness.run(test)
