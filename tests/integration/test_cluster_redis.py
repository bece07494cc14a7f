#!/usr/bin/env python3
"""Cluster through Redis (issue 18): three gateways share one redis-server (started here on a
loopback port with a temporary directory, stopped here).

Account 401 may hold at most 10 calls at once (max_concurrent: 10), counted in Redis:
1. gateway 1 holds 4 calls and gateway 2 holds 4; meanwhile gateway 3 is offered 4: exactly 2
   are admitted and 2 refused with 403 (without the shared store gateway 3 would admit all 4).
   `status --json` of each gateway says the store is redis and up.
2. A ban made on gateway 1 (`trunkguard ban add` on its database) silences the source on the
   public listeners of gateways 2 and 3 within a second of silencing it on gateway 1, and
   reaches their own SQLite copy (`ban list`).
3. Redis is killed while calls are up: those calls complete, a new call on gateway 1 still gets
   through (local limits: 10 / 3 nodes), the gateway records a security event (store.redis.*),
   and `status` says the store is down. Nothing crashes; every gateway stops cleanly.
"""
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
import guard_helpers  # noqa: E402
from redis_server import Redis  # noqa: E402
from harness import check, log

DIALLED = "12125550100"
NODES = 3
ACCOUNT_401 = ["-key", "caller", "401", "-key", "account", "401"]
HELD = 4  # calls held on gateways 1 and 2
OFFERED = 4  # calls offered to gateway 3 while those are held


def policy():
    return {
        "enabled": True,
        "numbering": {"pbx": {"country": "US"}},
        "default_action": {"pbx": "deny"},
        "rules": [
            {"name": "ten-at-once", "accounts": ["401"], "prefixes": ["+1"], "action": "allow",
             "max_concurrent": 10},
        ],
    }


def status_json(gw):
    r = subprocess.run([gw.binary, "status", "-c", gw.config_path, "--json"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, f"{gw.name}: `status --json` failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def wait_store_state(gw, state, timeout=10):
    deadline = time.time() + timeout
    while True:
        store = status_json(gw).get("store", {})
        if store.get("state") == state:
            return store
        if time.time() > deadline:
            raise harness.TestFailure(f"{gw.name}: store is {store}, expected state {state}")
        time.sleep(0.1)


def test(ctx):
    if not ctx.b2bua:
        ctx.skip("the cluster store is trunkguard's")
        return
    redis = Redis(ctx.workdir).start()
    try:
        run(ctx, redis)
    finally:
        redis.kill()


def run(ctx, redis):
    topos = [guard_helpers.public_topology() for _ in range(NODES)]
    gws = []
    for i, topo in enumerate(topos):
        store = {"type": "redis", "url": redis.url,
                 "node_id": f"gw{i + 1}", "nodes": NODES, "timeout_ms": 50}
        gws.append(ctx.sut(topo, name=f"gw{i + 1}",
                           db_path=os.path.join(ctx.workdir, f"gw{i + 1}.db"),
                           extra=guard_helpers.guard_extra(
                               topo, more={"policy": policy(), "store": store,
                                           # the PBX names the extension (401) in X-Account
                                           "pbx": {"targets": [{
                                               "host": topo.pbx_host, "port": topo.pbx_port,
                                               "transport": topo.pbx_transport,
                                               "identity_header": "X-Account"}]},
                                           # one host, three relays: ports of their own
                                           "media": {"anchor": False}})).start())
    for gw in gws:
        store = wait_store_state(gw, "up")
        check(store.get("type") == "redis" and store.get("node_id") == gw.name,
              f"{gw.name} status store: {store}")

    # 1. One limit across the three gateways.
    providers, held = [], []
    for i in (0, 1):
        t = topos[i]
        p = ctx.sipp(f"held-provider-{i + 1}", "uas_basic.xml", local_ip=t.prov1_host,
                     local_port=t.prov1_port, calls=HELD, duration_ms=500, timeout_s=40)
        u = ctx.sipp(f"held-{i + 1}", "policy_uac_call_account.xml", local_ip=t.pbx_host,
                     local_port=t.pbx_port, remote=t.pbx_side_addr(), service=DIALLED,
                     calls=HELD, rate=20, duration_ms=6000, timeout_s=40,
                     extra=ACCOUNT_401)
        providers.append(p)
        held.append(u)
    t3 = topos[2]
    p3 = ctx.sipp("third-provider", "uas_basic.xml", local_ip=t3.prov1_host,
                  local_port=t3.prov1_port, calls=10 - 2 * HELD, duration_ms=500,
                  timeout_s=40)
    for p in providers + [p3]:
        p.start()
    for p in providers + [p3]:
        p.wait_listening()
    for u in held:
        u.start()
    time.sleep(2.0)  # the 8 calls answered and held
    admitted = ctx.sipp("third-admitted", "policy_uac_call_account.xml", local_ip=t3.pbx_host,
                        local_port=t3.pbx_port, remote=t3.pbx_side_addr(), service=DIALLED,
                        calls=OFFERED, rate=20, duration_ms=500, timeout_s=30,
                        extra=ACCOUNT_401)
    admitted.start()
    a_r = admitted.wait()
    log(a_r.describe())
    held_r = [u.wait() for u in held]
    for r in held_r:
        log(r.describe())
        harness.expect_calls(r, HELD, what="the calls held on gateways 1 and 2")
    check(a_r.successful == 10 - 2 * HELD,
          f"gateway 3 admitted {a_r.successful} of {OFFERED} calls; with {2 * HELD} held "
          f"elsewhere and max_concurrent 10 exactly {10 - 2 * HELD} fit")
    refused = [m for m in admitted.received() if m.status == 403]
    check(len(refused) == OFFERED - (10 - 2 * HELD),
          f"gateway 3 answered {[m.summary() for m in admitted.received() if m.status]}")
    rows = gws[2].cdr_list()
    limited = [r for r in rows if r.get("policy_rule") == "ten-at-once.max_concurrent"]
    check(len(limited) == OFFERED - (10 - 2 * HELD),
          f"gateway 3 rejected CDRs: {[(r.get('policy_rule'), r.get('sip_code')) for r in rows]}")
    for p in providers + [p3]:
        p.wait(40)

    # 2. A ban on gateway 1 reaches gateways 2 and 3.
    source = "127.0.0.42"
    pubs = [(t.host, t.public_side) for t in topos]
    for i, pub in enumerate(pubs):
        deadline = time.time() + 10
        while not guard_helpers.options_answered(pub, source, timeout=0.3):
            check(time.time() < deadline, f"gw{i + 1} must answer {source} before the ban")
            time.sleep(0.3)
    guard_helpers.trunkguard_cli(ctx, "ban", "add", source, "--reason", "cluster test", "--db",
                                 gws[0].db_path, "--local-root")
    deadline = time.time() + 5
    # Probes under the public zone's OPTIONS limit (5/s), or they would be a flood of their own.
    while guard_helpers.options_answered(pubs[0], source, timeout=0.2):
        check(time.time() < deadline, "`ban add` did not reach gateway 1 in 5 s")
        time.sleep(0.25)
    banned_at = time.time()
    for i in (1, 2):
        while guard_helpers.options_answered(pubs[i], source, timeout=0.2):
            check(time.time() - banned_at < 1.5,
                  f"gw{i + 1} still answers {source} 1.5 s after gateway 1 banned it")
            time.sleep(0.25)
    log(f"the ban reached gateways 2 and 3 {time.time() - banned_at:.2f} s after gateway 1 "
        "(probes every 0.45 s)")
    for gw in gws[1:]:
        guard_helpers.wait_banned(ctx, gw, source, timeout=5)

    # 3. Redis gone during calls: calls keep flowing under local limits; an event says so.
    t1 = topos[0]
    p = ctx.sipp("after-provider", "uas_basic.xml", local_ip=t1.prov1_host,
                 local_port=t1.prov1_port, calls=2, duration_ms=500, timeout_s=40)
    during = ctx.sipp("during", "policy_uac_call_account.xml", local_ip=t1.pbx_host,
                      local_port=t1.pbx_port, remote=t1.pbx_side_addr(), service=DIALLED,
                      calls=1, duration_ms=2000, timeout_s=30, extra=ACCOUNT_401)
    p.start()
    p.wait_listening()
    during.start()
    time.sleep(0.8)  # answered
    redis.kill()
    wait_store_state(gws[0], "down")
    harness.expect_calls(during.wait(), 1, what="the call up while Redis was killed")
    after = ctx.sipp("after", "policy_uac_call_account.xml", local_ip=t1.pbx_host,
                     local_port=harness.free_port(), remote=t1.pbx_side_addr(),
                     service=DIALLED, calls=1, duration_ms=500, timeout_s=30,
                     extra=ACCOUNT_401)
    after.start()
    harness.expect_calls(after.wait(), 1, what="a new call without Redis (local limits)")
    p.wait(40)
    store = status_json(gws[0])["store"]
    check(store.get("local_answers", 0) >= 1, f"no local answers counted: {store}")
    deadline = time.time() + 5
    while True:
        evs = [e for e in guard_helpers.events(ctx, gws[0])
               if (e.get("rule") or "").startswith("store.redis.")]
        if any("local limits" in (e.get("action") or "") for e in evs):
            break
        check(time.time() < deadline, f"no store.redis event with local limits: {evs}")
        time.sleep(0.25)
    for gw in gws:
        check(gw.alive(), f"{gw.name} died")
        gw.stop()


if __name__ == "__main__":
    harness.run(test)
