#!/usr/bin/env python3
"""Spend thresholds alert from the gateway's CDR database (docs/alerts.md "Spend over a threshold").

1. The gateway starts once without alerts, creating its CDR database, and stops.
2. Two priced calls that ended a few minutes ago are added to its `cdrs` table with Python's
   sqlite3 (a shortcut: no call is placed; the crossing logic against CDRs written by CdrStore
   is tested in tests/unit/app/alerts/spend_watch_test.cc), alice 3.00 and bob 0.50.
3. It starts again with `alerts.spend_per_hour: 2` and `account_spend_per_hour: 1` and a
   webhook on loopback. Its alert thread checks at once: one `spend.hourly` alert (3.50 over 2)
   and one `spend.account_hourly` for alice (3.00 over 1), none for bob.
"""
import http.server
import json
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import guard_helpers as gh  # noqa: E402
import harness  # noqa: E402
from harness import check, log


class Hook(http.server.BaseHTTPRequestHandler):
    bodies = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with Hook.lock:
            Hook.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


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
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        run(ctx, hook.server_address[1])
    finally:
        hook.shutdown()
        hook.server_close()


def run(ctx, hook_port):
    topo = gh.public_topology()
    gw = ctx.sut(topo, extra=gh.guard_extra(topo)).start()
    gw.stop()
    add_call(gw.db_path, "spend-alice", "alice", 3.0, 300)
    add_call(gw.db_path, "spend-bob", "bob", 0.5, 120)

    alerts = {"spend_per_hour": 2, "account_spend_per_hour": 1,
              "webhooks": [{"url": f"http://127.0.0.1:{hook_port}/hook"}]}
    gw.config_args["extra"] = gh.guard_extra(topo, more={"alerts": alerts})
    gw.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        with Hook.lock:
            kinds = sorted(b["kind"] for b in Hook.bodies)
        if len(kinds) >= 2:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # anything else would have come with them
    with Hook.lock:
        bodies = list(Hook.bodies)
    log(f"alerts: {bodies}")
    site = [b for b in bodies if b["kind"] == "spend.hourly"]
    account = [b for b in bodies if b["kind"] == "spend.account_hourly"]
    check(len(site) == 1, f"expected one spend.hourly alert: {bodies}")
    check("cost 3.5000" in site[0]["reason"] and "spend_per_hour 2.0000" in site[0]["reason"],
          f"the reason should give the amount and the threshold: {site[0]}")
    check([b["source"] for b in account] == ["alice"],
          f"expected one spend.account_hourly alert, for alice only: {bodies}")
    check(len(bodies) == 2, f"unexpected alerts: {bodies}")
    gw.stop()


if __name__ == "__main__":
    harness.run(test)
