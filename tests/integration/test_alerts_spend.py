#!/usr/bin/env python3
"""Spend thresholds alert from the gateway's CDR database (docs/alerts.md "Spend over a threshold").

1. A real call: PBX (sipp) -> trunkguard -> provider (sipp), account 303, rated 1.00 a second;
   the policy ends it after max_duration_s (2 s), so its CDR costs a few units (3.00 in a run
   on the dev VM: billed per started second), written by the gateway's CdrStore.
2. A priced call of account "bob" (0.50) that ended two minutes ago is added to the `cdrs`
   table with Python's sqlite3, for an account under its threshold.
3. The gateway restarts with `alerts.spend_per_hour: 1` and `account_spend_per_hour: 1` and a
   webhook on loopback. Its alert thread checks at once (then once a minute): one
   `spend.hourly` alert and one `spend.account_hourly` for 303, none for bob.
The crossing logic (once per crossing) is tested on a manual clock in
tests/unit/app/alerts/spend_watch_test.cc.
"""
import os
import sqlite3
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log
from webhook_receiver import WebhookReceiver  # noqa: E402


def add_call(db_path, uuid, account, cost, ended_ago_s):
    end_ms = int(time.time() * 1000) - ended_ago_s * 1000
    start_ms = end_ms - 60000
    con = sqlite3.connect(db_path)
    with con:
        con.execute(
            "INSERT INTO cdrs (call_uuid, direction, a_call_id, a_from_tag, a_to_tag, b_call_id,"
            " b_from_tag, b_to_tag, provider, from_uri, to_uri, source_address, start_time,"
            " start_ms, end_ms, disposition, sip_code, duration_ms, account, cost)"
            " VALUES (?, 'outbound', '', '', '', '', '', '', 'carrier', 'sip:100@pbx',"
            " 'sip:+4930123@carrier', '127.0.0.1:5060', 'x', ?, ?, 'answered', 200, 60000, ?, ?)",
            (uuid, start_ms, end_ms, account, cost))
    con.close()


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("alerts are a trunkguard feature")
        return
    with WebhookReceiver() as hook:
        run(ctx, hook)


def priced_call(ctx, topo):
    """Account 303 calls +12125550100; the gateway ends it after 2 s (max_duration_s)."""
    p = ctx.sipp("provider", "uas_basic.xml", local_ip=topo.prov1_host,
                 local_port=topo.prov1_port, calls=1, duration_ms=500, timeout_s=30)
    u = ctx.sipp("pbx", "policy_uac_recv_bye_account.xml", local_ip=topo.pbx_host,
                 local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service="12125550100",
                 extra=["-key", "caller", "303", "-key", "account", "303"], calls=1,
                 duration_ms=500, timeout_s=30)
    u_r, (p_r,) = ctx.run_calls(u, [p])
    log(u_r.describe())
    harness.expect_calls(u_r, 1, what="the priced call (PBX side)")
    return u.sent("INVITE")[0].call_id


def run(ctx, hook):
    topo = harness.Topology()
    rates = os.path.join(ctx.workdir, "rates.csv")
    with open(rates, "w") as f:
        f.write("prefix,price_per_minute,increments\n1,60.00,1/1\n")
    policy = {"enabled": True, "numbering": {"pbx": {"country": "US"}},
              "default_action": {"pbx": "deny"}, "rate_table": rates,
              "rules": [{"name": "short", "accounts": ["303"], "prefixes": ["+1"],
                         "action": "allow", "max_duration_s": 2}]}
    pbx = {"targets": [{"host": topo.pbx_host, "port": topo.pbx_port,
                        "transport": topo.pbx_transport, "identity_header": "X-Account"}]}
    gw = ctx.sut(topo, extra={"pbx": pbx, "policy": policy}).start()
    a_id = priced_call(ctx, topo)
    rows = gw.wait_for_cdrs(lambda rs: any(r.get("a_call_id") == a_id and r.get("end_time")
                                           for r in rs), timeout=10, what="the priced call's CDR")
    cost = next(r for r in rows if r.get("a_call_id") == a_id).get("cost") or 0
    log(f"the call's CDR: cost {cost}")
    check(1.0 < cost < 6.0, f"the priced call should cost a few units: {cost}")
    gw.stop()
    add_call(gw.db_path, "spend-bob", "bob", 0.5, 120)

    alerts = {"spend_per_hour": 1, "account_spend_per_hour": 1,
              "webhooks": [{"url": hook.url}]}
    gw.config_args["extra"] = {"pbx": pbx, "policy": policy, "alerts": alerts}
    gw.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        kinds = sorted(b["kind"] for b in hook.bodies())
        if len(kinds) >= 2:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # anything else would have come with them
    bodies = hook.bodies()
    log(f"alerts: {bodies}")
    site = [b for b in bodies if b["kind"] == "spend.hourly"]
    account = [b for b in bodies if b["kind"] == "spend.account_hourly"]
    check(len(site) == 1, f"expected one spend.hourly alert: {bodies}")
    check(f"cost {cost + 0.5:.4f}" in site[0]["reason"]
          and "spend_per_hour 1.0000" in site[0]["reason"],
          f"the reason should give the amount and the threshold: {site[0]}")
    check([b["source"] for b in account] == ["303"],
          f"expected one spend.account_hourly alert, for 303 only: {bodies}")
    check(len(bodies) == 2, f"unexpected alerts: {bodies}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
