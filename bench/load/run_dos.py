#!/usr/bin/env python3
"""DoS resilience benchmark: legitimate calls through the gateway while it is flooded.

    sipp UAC (the PBX, 127.0.0.1) --udp--> SUT --udp--> sipp UAS (carrier-a)
    tg_flood (50+ sources 127.0.N.x) --udp--> SUT's internet-facing listener

The flood (bench/flood/flood.cc) mixes INVITE, REGISTER, OPTIONS, scanner-signed OPTIONS and
malformed datagrams from many loopback sources. For trunkguard it hits the public listener
(every filter runs: ban, ACL, parse, scanner, rate limit); for Kamailio (bench/load/kamailio.cfg
with WITH_TRUSTED_PEERS: pike + htable bans, the PBX and providers exempt) it hits its
trunk-side socket, the only one it has. Each step uses new source addresses, so every step
starts with unbanned attackers.

For every flood rate (--rates, packets/s; 0 is the baseline without flood) and SUT it prints:
legitimate calls ok / failed (success %), setup p99, the SUT's CPU (% of a core) and RSS, and
the rate the flood generator achieved. Exit 0 when every SUT was measured.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
import run_load  # noqa: E402


def flood_command(args, target, first_source, rate, seconds):
    return [args.flood, "--target", f"{target[0]}:{target[1]}", "--sources", str(args.sources),
            "--first-source", first_source, "--rate", str(rate), "--seconds", str(seconds)]


def step(bench, args, rate, index):
    """One flood rate: the flood runs for the whole legitimate run."""
    seconds = args.duration + 3
    flood = None
    if rate > 0:
        target = (bench.topo.host, bench.public_port) if bench.kind == "trunkguard" \
            else bench.topo.trunk_side_addr()
        cmd = flood_command(args, target, f"127.0.{10 + index}.1", rate, seconds)
        flood = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)  # the flood is on before the first legitimate call
    r = bench.calls(args.call_rate, int(args.call_rate * args.duration), args.hold_ms,
                    name=f"flood{rate}")
    r["flood_offered_pps"] = rate
    if flood is not None:
        out, err = flood.communicate(timeout=seconds + 30)
        try:
            r["flood_achieved_pps"] = json.loads(out.strip().splitlines()[-1])["rate"]
        except (ValueError, IndexError, KeyError):
            r["flood_achieved_pps"] = None
            r["flood_error"] = (err or out)[-300:]
    else:
        r["flood_achieved_pps"] = 0
    r["success_pct"] = round(100.0 * r["successful"] / r["created"], 3) if r["created"] else None
    return r


def print_step(r):
    f = run_load.fmt
    print(f"  {r['sut']:<10} flood {r['flood_offered_pps']} pps offered "
          f"({f(r['flood_achieved_pps'], '', 0)} achieved): legitimate {r['successful']}/"
          f"{r['created']} ok ({f(r['success_pct'], '%', 2)}), setup p99 "
          f"{f(r['setup_p99_ms'], ' ms', 2)}; SUT cpu {f(r['cpu_util_pct'], '%')} of a core, "
          f"RSS {r['rss_kb_after'] / 1024:.1f} MB; kernel UDP drops {r['udp_rcvbuf_drops']}",
          flush=True)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=os.path.join(REPO, "build", "trunkguard"))
    p.add_argument("--flood", default=os.path.join(REPO, "build", "bench", "tg_flood"))
    p.add_argument("--source-dir", default=REPO)
    p.add_argument("--sut", choices=("both", "trunkguard", "kamailio"), default="both")
    p.add_argument("--rates", default="0,20000,50000,100000",
                   help="flood packets/s per step (default 0,20000,50000,100000)")
    p.add_argument("--sources", type=int, default=50, help="flood source addresses")
    p.add_argument("--call-rate", type=int, default=500, help="legitimate calls/s (500)")
    p.add_argument("--duration", type=float, default=10, help="seconds per step (10)")
    p.add_argument("--hold-ms", type=int, default=100)
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    # What run_load.Bench reads.
    a.rate, a.workers, a.kamailio_children, a.log_level = a.call_rate, 1, 1, "warn"
    a.warmup_calls, a.max_seconds = 200, 900
    return a


def main():
    args = parse_args()
    if not os.access(args.flood, os.X_OK):
        print(f"run_dos: {args.flood} is missing; build it with `make bench` (target tg_flood)")
        return 2
    rates = [int(x) for x in args.rates.split(",")]
    kinds = ["trunkguard", "kamailio"] if args.sut == "both" else [args.sut]
    workdir = tempfile.mkdtemp(prefix="tg-dos-")
    env = run_load.environment()
    print(f"dos: {', '.join(kinds)}; flood steps {rates} pps from {args.sources} sources; "
          f"{args.call_rate} legitimate calls/s; working directory {workdir}", flush=True)
    print(f"environment: {env}", flush=True)
    results, errors = [], []
    for kind in kinds:
        bench = run_load.Bench(args, kind, workdir)
        bench.public_port = harness.free_port()
        bench.gateway_args = {"extra": {
            "public": {"listen": [f"udp://{bench.topo.host}:{bench.public_port}"]}}}
        bench.kamailio_args = {"defines": ["WITH_TRUSTED_PEERS", "PIKE_REQS=16"]}
        try:
            bench.start()
            for i, rate in enumerate(rates):
                r = step(bench, args, rate, i)
                results.append(r)
                print_step(r)
        except harness.TestFailure as e:
            errors.append(f"{kind}: {e}")
            print(f"  {kind}: NOT MEASURED: {e}", flush=True)
            if bench.sut is not None:
                print(bench.sut.diagnostics(), flush=True)
        finally:
            bench.stop()
            harness.cleanup_processes()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "args": vars(args), "results": results,
                       "errors": errors}, f, indent=2)
    if errors:
        print(f"working directory kept: {workdir}", flush=True)
    elif not args.keep:
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
