#!/usr/bin/env python3
"""`trunkguard backup` while calls run, `trunkguard restore` only once the gateway is stopped.

1. A ban (ban add) and 10 answered calls with final CDRs; then 20 more calls start and
   `trunkguard backup` runs while they are set up: it succeeds.
2. `trunkguard restore` while the gateway runs is refused (exit 1, "stop it first") and the
   gateway goes on writing its CDRs.
3. The gateway stops and the ban is lifted; restore puts the backup back; the gateway starts on
   it with the ban and the 10 earlier CDRs unchanged.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import harness  # noqa: E402
from harness import check, log

BANNED = "198.51.100.0/24"


def cli(gw, *args):
    return subprocess.run([gw.binary, *args], capture_output=True, text=True, timeout=60)


def start_calls(ctx, topo, name, n, rate=10, duration_ms=300):
    uas = ctx.sipp(f"carrier-a-{name}", "uas_basic.xml", local_ip=topo.prov1_host,
                   local_port=topo.prov1_port, calls=n, timeout_s=60)
    uac = ctx.sipp(f"pbx-{name}", "uac_basic.xml", local_ip=topo.pbx_host,
                   local_port=topo.pbx_port, remote=topo.pbx_side_addr(), service=topo.dialled,
                   calls=n, rate=rate, duration_ms=duration_ms, timeout_s=60)
    uas.start()
    uas.wait_listening()
    uac.start()
    return uac, uas


def bans(gw, db):
    r = cli(gw, "ban", "list", "--db", db)
    check(r.returncode == 0, f"ban list failed: {r.stderr}")
    return r.stdout


def test(ctx):
    topo = harness.Topology()
    gw = ctx.sut(topo)
    if not ctx.b2bua:
        ctx.skip("backup and restore are trunkguard features")
        return
    gw.start()
    r = cli(gw, "ban", "add", BANNED, "--db", gw.db_path, "--local-root", "--duration", "permanent",
            "--reason", "backup test")
    check(r.returncode == 0, f"ban add failed: {r.stderr}")
    uac, uas = start_calls(ctx, topo, "before", 10)
    harness.expect_calls(uac.wait(), 10, what="calls before the backup")
    uas.wait(30)
    before = gw.wait_for_cdrs(lambda rs: len(rs) >= 10 and all(x.get("end_time") for x in rs),
                              timeout=15, what="10 final CDRs")

    backup = os.path.join(ctx.workdir, "backup.db")
    uac, uas = start_calls(ctx, topo, "during", 20, rate=20, duration_ms=1000)
    r = cli(gw, "backup", "--db", gw.db_path, backup)
    check(r.returncode == 0, f"backup while calls run failed ({r.returncode}): {r.stderr}")
    log(r.stdout.strip())
    harness.expect_calls(uac.wait(), 20, what="calls during the backup")
    uas.wait(30)

    refused = cli(gw, "restore", "--db", gw.db_path, backup)
    check(refused.returncode == 1 and "stop it first" in refused.stderr,
          f"restore while the gateway runs: exit {refused.returncode}, {refused.stderr!r}")
    log("restore refused while the gateway runs")
    check(gw.alive(), "the gateway died during backup/restore")
    gw.wait_for_cdrs(lambda rs: len(rs) >= 30, timeout=15, what="30 CDRs in the live database")

    gw.stop()
    r = cli(gw, "ban", "remove", BANNED, "--db", gw.db_path, "--local-root")
    check(r.returncode == 0, f"ban remove failed: {r.stderr}")
    check(BANNED not in bans(gw, gw.db_path), "the ban is still listed after ban remove")
    r = cli(gw, "restore", "--db", gw.db_path, backup)
    check(r.returncode == 0, f"restore with the gateway stopped failed: {r.stderr}")

    gw.start()
    check(BANNED in bans(gw, gw.db_path), "the ban did not come back with the restore")
    rows = {x["call_uuid"]: x for x in gw.cdr_list()}
    for row in before:
        check(rows.get(row["call_uuid"]) == row, f"CDR {row['call_uuid']} differs after restore")
    check(10 <= len(rows) <= 30, f"{len(rows)} CDRs after restore, expected 10..30")
    log(f"restored: the ban and {len(rows)} CDRs ({len(rows) - 10} from calls during the backup)")


if __name__ == "__main__":
    harness.run(test)
