#!/usr/bin/env python3
"""The fraud benchmark: the generator's scenario replayed through trunkguard with its learning
detectors (fraud.yaml) and with a fixed-threshold baseline (baseline.yaml), side by side.

Prints one row per configuration and label, then the issue's targets with PASS/FAIL:
IRSF stopped within 60 s of its first call and after fewer than 5 fraudulent calls answered,
Wangiri callbacks refused from the first one, fewer than 1 false block per 10,000 legitimate
calls. Exit 1 when the detectors miss a target (the baseline is reported, not judged).

    python3 bench/fraud/run_fraud.py --binary build/trunkguard [--seed 1] [--accounts 40]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def replay(binary, config, trace):
    r = subprocess.run([binary, "replay", "--config", config, trace, "--json"],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"replay with {config} failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)


def row(name, label, l):
    first = l["seconds_to_first_block"]
    return (f"{name:<10} {label:<8} {l['offered']:>8} {l['allowed']:>8} "
            f"{l['answered_allowed']:>9} {l['minutes_allowed']:>9.1f} {l['refused']:>8} "
            f"{l['torn_down']:>5} {'-' if first is None else f'{first:.0f} s':>10}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--accounts", type=int, default=40)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "trace.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_trace.py"), "--seed",
                        str(a.seed), "--accounts", str(a.accounts), "-o", trace], check=True)
        results = {name: replay(a.binary, os.path.join(HERE, f"{name}.yaml"), trace)
                   for name in ("fraud", "baseline")}
    print(f"{'config':<10} {'label':<8} {'offered':>8} {'allowed':>8} {'answered':>9} "
          f"{'minutes':>9} {'refused':>8} {'torn':>5} {'1st block':>10}")
    for name, res in results.items():
        for label, l in sorted(res["labels"].items()):
            print(row(name, label, l))
        print(f"{name:<10} replay speed {res['calls_per_second']:.0f} calls/s, refused by rule "
              f"{res['refused_by_rule']}")
    labels = results["fraud"]["labels"]
    irsf, wangiri, legit = labels["irsf"], labels["wangiri"], labels["legit"]
    false_blocks = legit["refused"] + legit["torn_down"]
    checks = [
        ("IRSF stopped within 60 s of its first call",
         irsf["seconds_to_first_block"] is not None and irsf["seconds_to_first_block"] <= 60),
        ("IRSF: fewer than 5 fraudulent calls answered", irsf["answered_allowed"] < 5),
        ("Wangiri callbacks refused from the first one",
         wangiri["offered"] > 0 and wangiri["allowed"] == 0),
        ("fewer than 1 false block per 10,000 legitimate calls",
         false_blocks * 10000 < legit["offered"]),
    ]
    failed = False
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
        failed = failed or not ok
    print(f"false blocks: {false_blocks} of {legit['offered']} legitimate calls")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
